"""Byte budgets (DESIGN.md §7) on every child-facing page, in both languages, as sent on the wire."""

from __future__ import annotations

from pathlib import Path

import brotli
import pytest

from services import chat
from tests.journey import ANSWERS, HX, answer, chat_pages, hidden, send, start

LIBRARY = Path(__file__).resolve().parents[1] / "content" / "library"


def library_slugs() -> list[str]:
    """Every page shipped with the app (each exists in every language)."""
    return sorted(path.stem for path in (LIBRARY / "en").glob("*.md"))

HTML_BUDGET = 10 * 1024
FIRST_SCREEN_BUDGET = 14 * 1024
FRAGMENT_BUDGET = 2 * 1024
ACCEPT = {"Accept-Encoding": "br, gzip"}


def wire_size(response) -> int:
    """Bytes as they travelled: the compressed body the server sent."""
    return response.num_bytes_downloaded


def css_size(client, html: str) -> int:
    href = html.split('rel="stylesheet" href="')[1].split('"')[0]
    response = client.get(href, headers=ACCEPT)
    assert response.headers.get("content-encoding") == "br"
    return wire_size(response)


def _pages(client):
    """Every page and state a child meets, whole pages as a browser without JS gets them."""
    yield "home", client.get("/", headers=ACCEPT)
    yield "intro", client.get("/report", headers=ACCEPT)
    yield "info index", client.get("/info", headers=ACCEPT)
    yield "help services", client.get("/help-services", headers=ACCEPT)
    yield "accessibility", client.get("/accessibility", headers=ACCEPT)
    for language in ("sq", "en"):
        yield f"offline {language}", client.get(f"/offline/{language}", headers=ACCEPT)
    yield "info search", client.get("/info/search?q=femije", headers=ACCEPT)
    for slug in library_slugs():
        yield f"info {slug}", client.get(f"/info/{slug}", headers=ACCEPT)
        yield f"info {slug} (whole page)", client.get(f"/info/{slug}?full=1", headers=ACCEPT)
    yield "check code", client.get("/check", headers=ACCEPT)
    yield "404", client.get("/no-such-page", headers=ACCEPT)
    token = start(client)
    yield "error state", answer(client, token, "who", {}, ACCEPT)
    for step, values in ANSWERS:
        yield f"step {step}", client.get("/report", headers=ACCEPT)
        answer(client, token, step, values)
    check = client.get("/report", headers=ACCEPT)
    yield "check answers", check
    yield "receipt", send(client, token, hidden(check.text, "idempotency_key"), ACCEPT)
    for name, response in chat_pages(client, ACCEPT):
        if "fragment" not in name:
            yield name, response


@pytest.fixture(autouse=True)
def chat_open(monkeypatch):
    monkeypatch.setattr(chat, "is_open", lambda moment: True)


@pytest.mark.parametrize("language", ["sq", "en"])
def test_every_page_within_html_and_first_screen_budgets(sqlite_client, language):
    sqlite_client.get(f"/language/{language}?next=/")
    css = None
    for name, response in _pages(sqlite_client):
        size = wire_size(response)  # error pages travel uncompressed, and still fit
        css = css or css_size(sqlite_client, response.text)
        assert size <= HTML_BUDGET, f"{name}: {size} B of HTML"
        assert size + css <= FIRST_SCREEN_BUDGET, f"{name}: {size} + {css} B first screen"


@pytest.mark.parametrize("language", ["sq", "en"])
def test_every_step_fragment_within_budget(sqlite_client, language):
    sqlite_client.get(f"/language/{language}?next=/")
    token = start(sqlite_client)
    fragments = [("error", answer(sqlite_client, token, "who", {}, {**HX, **ACCEPT}))]
    for step, values in ANSWERS:
        fragments.append((step, answer(sqlite_client, token, step, values, {**HX, **ACCEPT})))
    fragments += [(name, response) for name, response in chat_pages(sqlite_client, ACCEPT)
                  if "fragment" in name]
    for name, response in fragments:
        body = response.content
        size = wire_size(response) if response.headers.get("content-encoding") else len(
            brotli.compress(body, quality=5))
        assert "<html" not in response.text
        assert size <= FRAGMENT_BUDGET, f"fragment after {name}: {size} B"


FIRST_VISIT_BUDGET = 45 * 1024


@pytest.mark.parametrize("language", ["sq", "en"])
def test_a_whole_first_visit_within_budget(sqlite_client, language):
    """Home + everything it loads + the manifest and its icons + the service worker and all it
    precaches (each URL once: the browser's HTTP cache serves repeats), compressed."""
    import json
    import re

    client = sqlite_client
    client.get(f"/language/{language}?next=/")
    home = client.get("/", headers=ACCEPT)
    urls = set(re.findall(r'(?:href|src)="(/static/[^"#]+)', home.text))
    manifest = client.get("/manifest.webmanifest", headers=ACCEPT)
    urls |= {icon["src"] for icon in manifest.json()["icons"]}
    worker = client.get("/sw.js", headers=ACCEPT)
    for name in ("SHELL", "PAGES"):
        urls |= set(json.loads(re.search(rf"var {name} = (\[.*?\]);", worker.text).group(1)))
    urls |= set(re.findall(r'importScripts\("([^"]+)"\)', worker.text))
    urls.discard("/")
    sizes = {url: wire_size(client.get(url, headers=ACCEPT)) for url in sorted(urls)}
    total = wire_size(home) + wire_size(manifest) + wire_size(worker) + sum(sizes.values())
    print(f"first visit ({language}): {total} B")
    assert total <= FIRST_VISIT_BUDGET, (total, sizes)
    assert not [url for url in sizes if url.endswith((".woff", ".woff2", ".ttf", ".jpg", ".webp"))]
