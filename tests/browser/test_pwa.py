"""Installable and offline in a real browser: the service worker, its caches and the outbox.

The module runs a server of its own (chat open at any hour, the quick exit going to the neutral
stub). Every test has its own browser context, so its own service worker, caches and IndexedDB;
the installability test needs a real profile (`launch_persistent_context`), since Chrome answers
"in-incognito" in a plain context. Reports are counted in the server's SQLite database.
The HTTP side of the same features is in tests/test_pwa.py.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.wizard import CODE, Answers, follow_up, visible_code, wait_state, walk
from tests.journey import ANSWERS as JOURNEY_ANSWERS, csrf
from tests.server import always_open_profile, running_app

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the `browser` fixture skips (or fails in CI) then
    expect = None

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
NEVER_CACHED = ("/report", "/check", "/chat", "/staff")
# A report without the emergency card: the walk below needs no wording.
ANSWERS = Answers(in_danger="no", contact="anonymous")

LIST_CACHES = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = (await cache.keys()).map(request => request.url);
  }
  return out;
}"""

OUTBOX_ITEMS = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("raporto", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("outbox", {keyPath: "key"});
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const db = opening.result, all = db.transaction("outbox").objectStore("outbox").getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.map(item => ({
      key: item.key, waiting: Boolean(item.body), delivered: Boolean(item.html)}))); };
    all.onerror = () => { db.close(); reject(all.error); };
  };
})"""


# --- the server and the contexts -------------------------------------------------------------

@pytest.fixture(scope="module")
def server(neutral_url):
    folder = Path(tempfile.mkdtemp(prefix="raporto-pwa-profile-"))
    with running_app(RAPORTO_EXIT_URL=neutral_url,
                     RAPORTO_PROFILE=always_open_profile(folder)) as running:
        yield running
    shutil.rmtree(running.data, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def contexts(browser, server):
    """new(**options) -> a fresh English context (JavaScript on, the real CSP), closed after."""
    made = []

    def make(**options):
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(WAIT_MS)
        context.add_cookies([{"name": "rp_lang", "value": "en", "url": server.url}])
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def reports(server) -> int:
    with sqlite3.connect(server.data / "raporto.sqlite3") as db:
        return db.execute("SELECT count(*) FROM report").fetchone()[0]


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- helpers ---------------------------------------------------------------------------------

def controlled_home(page, reload: bool = False) -> None:
    """The home page, controlled by an active service worker: the worker claims the page it was
    installed from (clients.claim), or with reload=True, the reloaded page."""
    page.goto("/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; return true; }")
    if reload:
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS)


def caches_of(page) -> dict[str, list[str]]:
    return page.evaluate(LIST_CACHES)


def to_check_your_answers(page, answers: Answers = ANSWERS) -> None:
    """The report wizard, by mouse, from /report up to check-your-answers (nothing sent)."""
    def proceed(following: str) -> None:
        page.locator('#step form[action="/report/answer"] button.button').click()
        wait_state(page, following, True)

    page.goto("/report")
    wait_state(page, "intro", True)
    page.locator('#step form[action="/report/start"] button').click()
    wait_state(page, "who", True)
    page.check(f'input[name="about"][value="{answers.about}"]')
    proceed("what")
    for category in answers.categories:
        page.check(f'input[name="categories"][value="{category}"]')
    proceed("danger")
    page.check(f'input[name="in_danger"][value="{answers.in_danger}"]')
    proceed("when")
    page.check(f'input[name="happened"][value="{answers.happened}"]')
    proceed("county")
    page.select_option("#county", answers.county)
    proceed("municipality")
    page.select_option("#municipality", answers.municipality)
    proceed("age")
    page.check(f'input[name="age_group"][value="{answers.age_group}"]')
    proceed("details")
    page.fill("#details", answers.details)
    proceed("needs")
    for need in answers.needs:
        page.check(f'input[name="needs"][value="{need}"]')
    proceed("contact")
    page.check(f'input[name="contact"][value="{answers.contact}"]')
    proceed("check")


def draft_at_check(page) -> None:
    """The same, faster: the answers posted with the context's own cookies (as the wizard's
    forms would be without JavaScript), then /report opened on check-your-answers."""
    api = page.context.request
    token = csrf(api.get("/report").text())
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert api.post("/report/start", data=urlencode({"_csrf_token": token}), headers=form,
                    max_redirects=0).status in (200, 303)
    for step, values in JOURNEY_ANSWERS:
        answered = api.post("/report/answer", headers=form, max_redirects=0,
                            data=urlencode({"_csrf_token": token, "step": step, **values},
                                           doseq=True))
        assert answered.status in (200, 303), (step, answered.status)
    page.goto("/report")
    wait_state(page, "check", True)


def send_offline(page) -> None:
    """On check-your-answers: go offline, press Send; the report is kept on the phone."""
    page.context.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")
    page.locator('#step form[action="/report/send"] button.button').click()
    notice = page.locator("#outbox-notice")
    expect(notice).to_be_visible(timeout=WAIT_MS)
    expect(notice).to_contain_text("No internet right now")
    expect(notice).to_be_focused()
    expect(page.locator('#step form[action="/report/send"]')).to_be_hidden()
    items = page.evaluate(OUTBOX_ITEMS)
    assert len(items) == 1 and items[0]["waiting"], items


def expect_receipt(page) -> str:
    """The receipt, put in the page by the outbox; returns the code as shown."""
    expect(page.locator("#main h1")).to_have_text("Your report was sent", timeout=WAIT_MS)
    expect(page.locator("#step .code")).to_be_visible(timeout=WAIT_MS)
    code = visible_code(page)
    assert CODE.match(code), code
    expect(page.locator("#step .code")).to_have_count(1)
    return code


def expect_outbox_empty(page) -> None:
    page.wait_for_function(f"({OUTBOX_ITEMS})().then(items => items.length === 0)",
                           timeout=WAIT_MS)


def expect_reports(server, count: int, seconds: float = 5) -> None:
    """Exactly `count` reports, and still so a moment later (a late second delivery shows)."""
    deadline = time.monotonic() + seconds
    while reports(server) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert reports(server) == count
    time.sleep(0.5)
    assert reports(server) == count, "a second report arrived late"


# --- 1. installable --------------------------------------------------------------------------

def test_chrome_finds_the_app_installable(browser, server):
    profile = tempfile.mkdtemp(prefix="raporto-pwa-chrome-")
    context = browser.browser_type.launch_persistent_context(
        profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, base_url=server.url)
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        controlled_home(page, reload=True)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert manifest["url"] == server.url + "/manifest.webmanifest"
        assert '"name": "ALO 116 111"' in manifest["data"]
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


# --- 2.-5. the service worker's caches -------------------------------------------------------

def test_caches_never_hold_report_follow_up_chat_or_staff_pages(contexts, server):
    page = contexts().new_page()
    controlled_home(page)
    code = walk(page, js=True, answers=ANSWERS).code
    follow_up(page, js=True, code=code, message="One more thing for the counsellor.")
    page.goto("/chat")
    page.fill("#message", "Someone at school hits me.")
    page.get_by_role("button", name="Start the chat").click()
    expect(page.locator("#chat-title")).to_have_text("Waiting for a counsellor", timeout=WAIT_MS)
    page.fill("#message", "Are you there?")
    page.locator("#composer").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#send-state")).to_have_text("Sent.", timeout=WAIT_MS)
    page.goto("/staff/login")
    expect(page.locator("#username")).to_be_visible()
    assert page.evaluate("navigator.serviceWorker.controller !== null")

    cached = caches_of(page)
    every = [url for urls in cached.values() for url in urls]
    assert every, cached
    leaked = [url for url in every if path_of(url).startswith(NEVER_CACHED)]
    assert not leaked, f"cached pages that must never be kept: {leaked}"
    assert all(url.startswith(server.url + "/") for url in every), every

    static_caches = [name for name in cached if name.startswith("static-")]
    assert len(static_caches) == 1, cached
    static = {path_of(url) for url in cached[static_caches[0]]}
    page.goto("/")
    hashed = page.evaluate("""() => [document.querySelector('link[rel=stylesheet]').href,
        ...Array.from(document.querySelectorAll('script[src]'), s => s.src)]""")
    assert any(url.endswith(".css") for url in hashed), hashed
    assert sum(url.endswith(".js") for url in hashed) >= 3, hashed  # htmx, outbox.js, app.js
    for url in hashed:
        assert re.search(r"\.[0-9a-f]{10}\.(css|js)$", url), url
        assert path_of(url) in static, f"{url} is not precached: {sorted(static)}"
    assert {"/offline/en", "/offline/sq"} <= static
    assert "/" in {path_of(url) for url in cached["pages"]}, cached


def test_a_repeat_visit_downloads_no_static_file(contexts, server):
    """On the second visit every static file comes from the service worker's cache, or from the
    browser's own cache (Chromium keeps the <use> sprite in its memory cache, and never asks the
    worker for it then); none from the network, and the worker fetches none itself."""
    context = contexts()
    page = context.new_page()
    controlled_home(page)

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    from_memory: set[str] = set()
    answered: dict[str, dict] = {}
    cdp.on("Network.requestServedFromCache", lambda event: from_memory.add(event["requestId"]))
    cdp.on("Network.responseReceived", lambda event: answered.setdefault(
        event["requestId"], {"url": event["response"]["url"], **event["response"]})
        if "/static/" in event["response"]["url"] else None)
    fetched_by_worker: list[str] = []
    context.on("request", lambda request: fetched_by_worker.append(request.url)
               if request.service_worker and "/static/" in request.url else None)

    page.goto("/")
    page.wait_for_load_state("load")
    page.wait_for_function("() => typeof htmx !== 'undefined' && !!window.RaportoOutbox")
    cdp.detach()

    urls = {path_of(r["url"]) for r in answered.values()}
    assert {p for p in urls if p.endswith(".css")} and {p for p in urls if p.endswith(".js")}, urls
    downloaded = [r["url"] for request_id, r in answered.items()
                  if not (r.get("fromServiceWorker") or r.get("fromDiskCache")
                          or request_id in from_memory)]
    assert not downloaded, f"static files downloaded again: {downloaded}"
    by_worker = [r["url"] for r in answered.values() if r.get("fromServiceWorker")]
    assert {p for p in map(path_of, by_worker) if p.endswith((".css", ".js"))} == {
        p for p in urls if p.endswith((".css", ".js"))}, "CSS/JS not answered by the worker"
    assert not fetched_by_worker, f"the service worker fetched: {fetched_by_worker}"


def test_save_data_keeps_only_the_shell(contexts, server):
    context = contexts(extra_http_headers={"Save-Data": "on"})
    # With Save-Data on, Chrome sends the header with every request, the worker's own script
    # included; Playwright's extra headers miss that one request, so it is added here.
    asked: list[str] = []

    def with_save_data(route):
        asked.append(route.request.url)
        route.continue_(headers={**route.request.headers, "save-data": "on"})

    context.route("**/sw.js", with_save_data)
    page = context.new_page()
    page.goto("/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; return true; }")
    assert asked, "the worker's script was never requested"
    cached = caches_of(page)
    assert not cached.get("pages"), f"pages precached despite Save-Data: {cached}"
    assert [name for name in cached if name != "pages"] == [
        name for name in cached if name.startswith("static-")], cached
    static = {path_of(url) for urls in cached.values() for url in urls}
    assert {"/offline/en", "/offline/sq"} <= static, static
    assert any(p.endswith(".css") for p in static) and any(p.endswith(".js") for p in static)
    assert not any(p == "/" or p.startswith("/info/") for p in static), static


def test_offline_the_worker_shows_the_offline_page_or_a_page_read_before(contexts, server):
    context = contexts()
    page = context.new_page()
    controlled_home(page)
    page.goto("/info/what-happens")
    heading = page.locator("h1").inner_text()
    paragraph = page.locator("main p").first.inner_text()
    assert heading and paragraph

    context.set_offline(True)
    page.goto("/report")  # never cached
    expect(page.locator("h1")).to_have_text("You are offline", timeout=WAIT_MS)
    expect(page.locator('main a[href="tel:112"]')).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"

    page.goto("/info/what-happens")
    expect(page.locator("h1")).to_have_text(heading, timeout=WAIT_MS)
    expect(page.locator("main p").first).to_have_text(paragraph)
    page.goto("/")
    expect(page.locator('main a[href="/report"]').first).to_be_visible(timeout=WAIT_MS)
    context.set_offline(False)


# --- 6. the outbox: exactly once -------------------------------------------------------------
# In Chromium a report kept offline is delivered twice over when the phone is online again: by
# the page (the `online` event, or the next page load) and by the service worker (Background
# Sync). The server's idempotency key makes both the same single report.

def is_delivery(request, by_worker: bool) -> bool:
    return (path_of(request.url) == "/report/deliver"
            and (request.service_worker is not None) == by_worker)


def test_a_report_sent_offline_arrives_once_when_back_online(contexts, server):
    context = contexts()
    page = context.new_page()
    controlled_home(page)
    to_check_your_answers(page)
    before = reports(server)

    send_offline(page)
    page.wait_for_timeout(500)
    assert reports(server) == before  # nothing could leave the phone

    context.set_offline(False)
    expect_receipt(page)  # in the same page, in place of check-your-answers
    expect(page.locator("#outbox-notice")).to_have_count(0)
    expect(page.locator('#step form[action="/report/send"]')).to_have_count(0)
    expect_reports(server, before + 1)


def test_the_outbox_survives_a_reload_and_shows_the_receipt_once(contexts, server):
    context = contexts()
    page = context.new_page()
    controlled_home(page)
    draft_at_check(page)
    before = reports(server)
    send_offline(page)

    page.reload()  # /report is never cached: the worker answers with the offline page
    expect(page.locator("h1")).to_have_text("You are offline", timeout=WAIT_MS)
    page.close()  # the child closes the page; later the phone is online again
    assert reports(server) == before
    # With no page open, the service worker's Background Sync delivers it.
    with context.expect_event("requestfinished", lambda r: is_delivery(r, by_worker=True),
                              timeout=WAIT_MS):
        context.set_offline(False)
    expect_reports(server, before + 1)

    page = context.new_page()
    page.goto("/")
    code = expect_receipt(page)
    expect_outbox_empty(page)
    assert reports(server) == before + 1

    page.reload()
    expect(page.locator('main a[href="/report"]').first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function("() => !!window.RaportoOutbox")
    page.wait_for_timeout(1000)  # time enough for a receipt still kept to be put in #main
    expect(page.locator("#step .code")).to_have_count(0)
    assert code not in page.locator("body").inner_text()
    assert page.evaluate(OUTBOX_ITEMS) == []
    assert reports(server) == before + 1


def test_flapping_connection_still_delivers_exactly_once(contexts, server):
    context = contexts()
    page = context.new_page()
    controlled_home(page)
    draft_at_check(page)
    before = reports(server)
    send_offline(page)

    for _ in range(5):
        context.set_offline(False)
        page.wait_for_timeout(200)
        context.set_offline(True)
    context.set_offline(False)

    expect_receipt(page)
    expect_reports(server, before + 1)


def test_the_outbox_survives_the_quick_exit(contexts, server, neutral_url):
    """...and without Background Sync (Firefox, Safari) the next page load delivers it: here the
    worker's deliveries are refused, so only the page can deliver."""
    context = contexts()
    context.route("**/report/deliver", lambda route: route.abort()
                  if route.request.service_worker else route.fallback())
    page = context.new_page()
    controlled_home(page)
    draft_at_check(page)
    before = reports(server)
    send_offline(page)

    with page.expect_event("requestfailed",
                           lambda request: request.url.startswith(neutral_url)) as leaving:
        page.locator(".exitbar a.quick-exit[data-module=quick-exit]").click(no_wait_after=True)
    # Offline, the neutral site cannot load: the browser's error page in its place is fine.
    assert leaving.value.is_navigation_request(), leaving.value.failure
    assert reports(server) == before
    context.set_offline(False)

    with page.expect_event("requestfinished", lambda r: is_delivery(r, by_worker=False),
                           timeout=WAIT_MS):
        page.goto("/")
    expect_receipt(page)
    expect_reports(server, before + 1)
    expect_outbox_empty(page)


def test_a_late_second_delivery_does_not_bring_the_receipt_back(contexts, server):
    """The page delivers, shows the receipt and removes it; the worker's delivery of the same
    report ends later. The receipt must stay removed from the phone (shown once)."""
    context = contexts()
    held = []
    context.route("**/report/deliver", lambda route: held.append(route)
                  if route.request.service_worker else route.fallback())
    page = context.new_page()
    controlled_home(page)
    draft_at_check(page)
    before = reports(server)
    send_offline(page)

    context.set_offline(False)
    expect_receipt(page)
    expect_outbox_empty(page)
    expect_reports(server, before + 1)
    for _ in range(50):  # Background Sync fires on going online
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the service worker never tried to deliver (Background Sync)"
    with context.expect_event("requestfinished", lambda r: is_delivery(r, by_worker=True)):
        for route in held:
            route.continue_()
    page.wait_for_timeout(1000)  # the worker writes what it got back just after that
    assert page.evaluate(OUTBOX_ITEMS) == [], "the receipt came back after it was shown"
    page.goto("/")
    expect(page.locator('main a[href="/report"]').first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function("() => !!window.RaportoOutbox")
    page.wait_for_timeout(1000)
    expect(page.locator("#step .code")).to_have_count(0)
    expect_reports(server, before + 1)


# --- 7. no other origin, no fonts, no images but our icons -----------------------------------

def test_no_other_origin_no_fonts_and_only_our_icons(contexts, server):
    context = contexts()
    seen: list[tuple[str, str]] = []
    context.on("request", lambda request: seen.append((request.url, request.resource_type)))
    page = context.new_page()
    page.goto("/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; return true; }")
    page.locator('main a[href="/report"]').first.click()
    wait_state(page, "intro", True)
    page.locator('#step form[action="/report/start"] button').click()
    wait_state(page, "who", True)

    assert page.evaluate("document.fonts.size") == 0  # no @font-face: system fonts only

    assert {kind for _, kind in seen} >= {"document", "stylesheet", "script"}, seen
    foreign = [url for url, _ in seen if not url.startswith(server.url + "/")]
    assert not foreign, f"requests to another origin: {foreign}"
    fonts = [url for url, kind in seen
             if kind == "font" or path_of(url).endswith((".woff", ".woff2", ".ttf", ".otf"))]
    assert not fonts, fonts
    # The sprite and the app icon come as "other" in Chromium: judge images by their names too.
    images = [url for url, kind in seen if kind == "image"
              or path_of(url).endswith((".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"))]
    assert images, seen
    others = [url for url in images if not path_of(url).startswith("/static/icons")]
    assert not others, f"images other than our icons: {others}"
