"""Markdown for the information library, rendered safely: CommonMark with raw HTML off (it is
shown as text), no images, headings starting at h2 (the page title is the only h1), and links
only to the app's own paths, tel: numbers and https: sources; any other link becomes its text."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

_SAFE_LINK = re.compile(r"^(/(?!/)[A-Za-z0-9/_#?=&.-]*|tel:\+?[0-9]{2,15}|https://[^\s\"'<>]+)$")


def _heading_open(self, tokens, idx, options, env):
    token = tokens[idx]
    level = min(int(token.tag[1]) + (1 if token.tag == "h1" else 0), 6)
    token.tag = f"h{max(level, 2)}"
    return self.renderToken(tokens, idx, options, env)


def _heading_close(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.tag == "h1":
        token.tag = "h2"
    return self.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = lambda url: bool(_SAFE_LINK.match(url.strip()))
    md.add_render_rule("heading_open", _heading_open)
    md.add_render_rule("heading_close", _heading_close)
    return md


_MD = _parser()


@lru_cache(maxsize=512)
def render(text: str) -> str:
    """Safe HTML for a Markdown text (cached: versions never change)."""
    return _MD.render(text or "")


def plain_text(text: str) -> str:
    """The words of a Markdown text without its markup (for search and word counts)."""
    html = render(text)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&").strip()
