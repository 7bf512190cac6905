"""Real-browser set-up: a neutral-site stub, the app in a subprocess, one Chromium for the session.

Debian's Chromium (/usr/bin/chromium) is driven through Playwright; `playwright install` is never
needed. Without Chromium or Playwright the browser tests skip locally and fail in CI.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import need
from tests.server import running_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
NARROW = {"width": 320, "height": 640}
TIMEOUT_MS = 10_000


# --- the neutral site the quick exit goes to -------------------------------------------------

NEUTRAL_HTML = (b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                b"<title>Neutral</title></head><body><h1>Neutral</h1><p>Weather today.</p>"
                b"</body></html>")


class _NeutralHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] == "/neutral":
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(NEUTRAL_HTML)))
            self.end_headers()
            self.wfile.write(NEUTRAL_HTML)
        else:
            self.send_error(404)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="session")
def neutral_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NeutralHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/neutral"
    server.shutdown()
    server.server_close()


# --- the app ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def app_url(neutral_url):
    """`app.py migrate` then `app.py serve` on a free port, against a fresh data folder."""
    with running_app(RAPORTO_EXIT_URL=neutral_url, RAPORTO_SECRET="browser-test-secret") as server:
        yield server.url
    shutil.rmtree(server.data, ignore_errors=True)


# --- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    need(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        need(False, "the playwright Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, app_url):
    """A factory: new_page(js=True, narrow=False, bypass_csp=False) -> a page in a fresh context.

    Each page gets its own context (cookies, history), closed at the end of the test.
    `bypass_csp=True` is only for the pages that run axe.
    """
    contexts = []

    def make(js: bool = True, narrow: bool = False, bypass_csp: bool = False, **options):
        if narrow:
            options.setdefault("viewport", NARROW)
        context = browser.new_context(java_script_enabled=js, bypass_csp=bypass_csp,
                                      base_url=app_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """JavaScript on, the real CSP."""
    return new_page(js=True)


@pytest.fixture
def nojs_page(new_page):
    """JavaScript off: every journey must work this way too."""
    return new_page(js=False)


@pytest.fixture
def axe_page(new_page):
    """JavaScript on, CSP bypassed so that axe can be injected."""
    return new_page(js=True, bypass_csp=True)


@pytest.fixture
def narrow_page(new_page):
    """320 x 640 CSS px, JavaScript on: reflow and focus-not-obscured checks."""
    return new_page(js=True, narrow=True)
