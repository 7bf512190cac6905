"""Accessibility and CSP checks run on every full HTML page the test suite fetches."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["ERROR_PREFIXES", "assert_page_ok", "check_page", "is_full_document"]

ERROR_PREFIXES = ("Error: ", "Gabim: ")
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
URL_ATTRS = frozenset("src href action formaction poster srcset data xlink:href ping".split())
UNNAMED_INPUTS = frozenset("hidden submit button reset image".split())
COLLECTORS = frozenset(("h1", "title", "a", "button", "script"))  # elements whose text we keep
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_INTEGER = re.compile(r"\s*([-+]?\d{1,9})")
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)")
_URL_BLANKS = "".join(map(chr, range(0x21)))  # browsers strip C0 controls and spaces from URLs


def _collapse(text: str) -> str:
    """Collapse whitespace runs to single spaces and trim."""
    return " ".join(text.split())


def _number(value: str, pattern: re.Pattern[str] = _NUMBER) -> float | None:
    """Leading number of an attribute value, as browsers parse it, or None."""
    match = pattern.match(value)
    return float(match.group(1)) if match else None


def _aria_named(attrs: dict[str, str]) -> bool:
    """True when the element has a non-empty aria-label or aria-labelledby."""
    return bool(attrs.get("aria-label", "").strip() or attrs.get("aria-labelledby", "").strip())


def _url_kind(value: str) -> str:
    """Classify a URL the way a browser reads it: 'external', 'script' or '' (harmless)."""
    url = re.sub(r"[\t\n\r]", "", value.strip(_URL_BLANKS)).replace("\\", "/").lower()
    match = _SCHEME.match(url)
    scheme = match.group(1) if match else ""
    if url.startswith("//") or scheme in ("http", "https"):
        return "external"
    return "script" if scheme in ("javascript", "vbscript") else ""


def _describe(tag: str, attrs: dict[str, str]) -> str:
    """Short identifying description of an element for problem messages."""
    for key in ("id", "name", "href", "src", "type", "class"):
        if attrs.get(key):
            return f'<{tag} {key}="{attrs[key][:60]}">'
    return f"<{tag}>"


class _El:
    """One open element: its attributes, inherited state and collected text."""

    __slots__ = ("tag", "attrs", "line", "hidden", "svg", "text", "first_child", "check", "named")

    def __init__(self, tag: str, attrs: dict[str, str], line: int, hidden: bool, svg: bool):
        self.tag, self.attrs, self.line, self.hidden, self.svg = tag, attrs, line, hidden, svg
        self.text: list[str] | None = [] if tag in COLLECTORS else None
        self.first_child: str | None = None
        self.check = self.named = False  # svg: needs role+name / has a non-empty <title> child


class _Checker(HTMLParser):
    """Single-pass collector of page problems."""

    def __init__(self, allowed_links: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.allowed = {("a", "href", link.strip()) for link in allowed_links}  # only <a href>
        self.problems: list[str] = []
        self.stack: list[_El] = []
        self.collectors: list[_El] = []  # open elements gathering text (subset of stack)
        self.lang: str | None = None
        self.h1s: list[str] = []  # collapsed text of each <h1>, likewise each document <title>
        self.titles: list[str] = []
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.refs: list[tuple[int, str, str]] = []  # (line, attribute, referenced id)
        self.controls: list[tuple[int, str, str, bool]] = []  # (line, description, id, named)
        self.error_summary = self.viewport = False

    def _bad(self, el: _El, message: str) -> None:
        """Record one problem, located by the element's source line."""
        self.problems.append(f"line {el.line}: {message}")

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        """Check an opening tag and push it unless it is void."""
        attrs = {name: value or "" for name, value in reversed(attr_list)}  # first one wins
        parent = self.stack[-1] if self.stack else None
        if parent and parent.first_child is None:
            parent.first_child = tag
        hidden = attrs.get("aria-hidden", "").strip().lower() == "true"
        el = _El(tag, attrs, self.getpos()[0], hidden or bool(parent and parent.hidden),
                 tag == "svg" or bool(parent and parent.svg))
        self._check_attributes(el)
        self._check_element(el, parent)
        if tag not in VOID:
            self.stack.append(el)
            if el.text is not None:
                self.collectors.append(el)

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost open element of this name and anything left open inside it."""
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                while len(self.stack) > i:
                    self._close(self.stack.pop())
                return

    def handle_data(self, data: str) -> None:
        """Give text to collecting elements; h1/a/button skip aria-hidden and svg text."""
        top = self.stack[-1] if self.collectors else None
        for el in self.collectors:
            if el.tag in ("h1", "a", "button") and (
                    (top.hidden and not el.hidden)
                    or (top.svg and not el.svg and (el.tag == "h1" or top.tag != "title"))):
                continue  # an svg <title> still names a link or button
            el.text.append(data)

    def _check_attributes(self, el: _El) -> None:
        """Attribute rules: inline script/style, ids, references, tabindex, URLs."""
        tag, attrs = el.tag, el.attrs
        for name, value in attrs.items():
            if name.startswith(("on", "hx-on", "data-hx-on")):
                self._bad(el, f"inline event handler {name}= on {_describe(tag, attrs)}")
            elif name == "style":
                self._bad(el, f"inline style attribute on {_describe(tag, attrs)}")
            elif name == "id" and value:
                if value in self.ids:
                    self._bad(el, f'duplicate id="{value}"')
                self.ids.add(value)
            elif name in ("aria-labelledby", "aria-describedby"):
                self.refs.extend((el.line, name, ref) for ref in value.split())
            elif name == "tabindex" and (_number(value, _INTEGER) or 0) > 0:
                self._bad(el, f'positive tabindex="{value}" on {_describe(tag, attrs)}')
            elif name == "class" and "error-summary" in value.split():
                self.error_summary = True
            if name in URL_ATTRS and value.strip():
                urls = ([c.split()[0] for c in value.split(",") if c.strip()] if name == "srcset"
                        else value.split() if name == "ping" else [value])
                for url in urls:
                    kind = _url_kind(url)
                    if kind == "script":
                        self._bad(el, f"javascript: URL in {name}= on <{tag}>")
                    elif kind and (tag, name, url.strip()) not in self.allowed:
                        self._bad(el, f'external URL "{url.strip()[:80]}" in {name}= on <{tag}>')

    def _check_element(self, el: _El, parent: _El | None) -> None:
        """Element rules that can be decided at the opening tag."""
        tag, a = el.tag, el.attrs
        if tag == "html" and self.lang is None:
            self.lang = a.get("lang", "").strip()
        elif tag in ("a", "button"):
            if any(f.tag in ("a", "button") for f in self.collectors):
                self._bad(el, f"{_describe(tag, a)} is nested inside another link or button")
            if tag == "a" and "href" not in a:
                self._bad(el, f"{_describe(tag, a)} has no href")
        elif tag in ("input", "select", "textarea"):
            kind = a.get("type", "text").strip().lower() if tag == "input" else ""
            if kind == "image" and "alt" not in a:
                self._bad(el, f'{_describe(tag, a)} (type="image") has no alt attribute')
            if kind not in UNNAMED_INPUTS:
                named = _aria_named(a) or any(f.tag == "label" for f in self.stack)
                self.controls.append((el.line, _describe(tag, a), a.get("id", ""), named))
        elif tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
            self.refs.append((el.line, "label for", a["for"]))
        elif tag == "form":
            for needed in ("action", "method"):
                if needed not in a:
                    self._bad(el, f"{_describe(tag, a)} has no {needed} attribute")
        elif tag == "script" and not a.get("src", "").strip():
            self._bad(el, "inline <script> without src")
        elif tag == "style":
            self._bad(el, "<style> element (CSP forbids inline styles)")
        elif tag == "meta" and a.get("name", "").strip().lower() == "viewport":
            self._check_viewport(el)
        elif tag == "img":
            if "alt" not in a:
                self._bad(el, f"{_describe(tag, a)} has no alt attribute")
            self._name_enclosing(el, a.get("alt", ""))
        elif tag == "svg" and not (parent and parent.svg):
            el.check = not el.hidden
            self._name_enclosing(el, a.get("aria-label", ""))

    def _check_viewport(self, el: _El) -> None:
        """The viewport meta must not stop users from zooming to at least 200%."""
        self.viewport = True
        for part in re.split(r"[,;]", el.attrs.get("content", "").lower()):
            key, _, value = (s.strip() for s in part.partition("="))
            scale = _number(value) if key == "maximum-scale" else None
            if key == "user-scalable" and value in ("no", "0", "false"):
                self._bad(el, f"viewport disables zoom (user-scalable={value})")
            elif scale is not None and scale < 2:
                self._bad(el, f"viewport limits zoom (maximum-scale={value} < 2)")

    def _name_enclosing(self, el: _El, name: str) -> None:
        """Count an img alt / svg aria-label as text of the links and buttons around it."""
        if self.collectors and name.strip():
            for f in self.collectors:
                if f.tag in ("a", "button") and (f.hidden or not el.hidden):
                    f.text.append(f" {name} ")

    def _close(self, el: _El) -> None:
        """Element rules that need the element's content."""
        tag, a = el.tag, el.attrs
        text = ""
        if el.text is not None:
            self.collectors.pop()  # elements close in stack order, so this is el
            text = _collapse("".join(el.text))
        if tag == "h1":
            self.h1s.append(text)
        elif tag == "title" and not el.svg:
            self.titles.append(text)
        elif tag == "title" and text and self.stack and self.stack[-1].tag == "svg":
            self.stack[-1].named = True
        elif tag in ("a", "button") and not (text or _aria_named(a)):
            self._bad(el, f"{_describe(tag, a)} has no accessible text")
        elif tag == "script" and text and a.get("src", "").strip():
            self._bad(el, "<script src> with an inline body")
        elif tag == "fieldset" and el.first_child != "legend":
            self._bad(el, f"{_describe(tag, a)} does not start with a <legend>")
        elif tag == "svg" and el.check:
            if a.get("role", "").strip() != "img":
                self._bad(el, '<svg> without aria-hidden="true" needs role="img"')
            if not (el.named or _aria_named(a)):
                self._bad(el, '<svg> without aria-hidden="true" has no accessible name')

    def finish(self, error_prefixes: tuple[str, ...]) -> list[str]:
        """Close what is still open and run the whole-document rules."""
        while self.stack:
            self._close(self.stack.pop())
        out = self.problems
        if not self.lang:
            out.append("<html> element with a non-empty lang attribute is missing")
        if len(self.h1s) != 1:
            out.append(f"expected exactly one <h1>, found {len(self.h1s)}")
        elif not self.h1s[0]:
            out.append("<h1> has no text")
        if len(self.titles) > 1:
            out.append(f"expected one <title>, found {len(self.titles)}")
        title = self.titles[0] if self.titles else ""
        prefix = next((p for p in error_prefixes if p and title.startswith(p)), "")
        h1 = self.h1s[0] if len(self.h1s) == 1 else ""
        if not title:
            out.append("<title> is missing or empty")
        elif self.error_summary and not prefix:
            out.append(f'page has an error summary but <title> "{title}" does not start with '
                       f"an error prefix {tuple(error_prefixes)}")
        if title and h1 and not _collapse(title[len(prefix):]).startswith(h1):
            out.append(f'<title> "{title}" does not start with the <h1> text "{h1}"')
        if not self.viewport:
            out.append('no <meta name="viewport">')
        for line, attr, ref in self.refs:
            if ref not in self.ids:
                out.append(f'line {line}: {attr}="{ref}" refers to no element with that id')
        for line, desc, control_id, named in self.controls:
            if not (named or (control_id and control_id in self.label_for)):
                out.append(f"line {line}: form control {desc} has no accessible name "
                           "(label, aria-label or aria-labelledby)")
        return out


def check_page(html: str, *, error_prefixes: tuple[str, ...] = ERROR_PREFIXES,
               allowed_external_links: tuple[str, ...] = ()) -> list[str]:
    """Return every accessibility/CSP problem of a full HTML document (empty list = passes)."""
    if isinstance(html, (bytes, bytearray)):
        html = bytes(html).decode("utf-8", "replace")
    checker = _Checker(tuple(allowed_external_links))
    try:
        checker.feed(str(html))
        checker.close()
        return checker.finish(tuple(error_prefixes))
    except Exception as exc:  # never crash the suite: a page we cannot check fails instead
        return [*checker.problems, f"page could not be checked ({type(exc).__name__}: {exc})"]


def assert_page_ok(html: str, url: str = "", *, error_prefixes: tuple[str, ...] = ERROR_PREFIXES,
                   allowed_external_links: tuple[str, ...] = ()) -> None:
    """Raise AssertionError listing every problem of the page and its url."""
    problems = check_page(html, error_prefixes=error_prefixes,
                          allowed_external_links=allowed_external_links)
    if problems:
        raise AssertionError(f"{len(problems)} accessibility problem(s) on {url or '(page)'}:\n  - "
                             + "\n  - ".join(problems))


def is_full_document(html: str) -> bool:
    """True when the body is a whole page (doctype or <html>), False for an htmx fragment."""
    head = html[:4096].lstrip().lower()
    return head.startswith("<!doctype html") or "<html" in head
