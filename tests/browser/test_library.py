"""The information library in a real browser: axe on every library and help page (both languages,
easy read too) and on the editor, search as you type, the no-JavaScript search and easy read,
read aloud, and reflow at 320 CSS px.

The app runs as a server of this module's own (SQLite, fresh data folder) so that a supervisor
account can be written into its database by a small `python -c` process, as in
test_counsellor.py.
"""

from __future__ import annotations

import shutil

import pytest

from a11y.axe import TAGS, _inject, _RUN, format_violations
from tests.browser.conftest import NARROW, TIMEOUT_MS
from tests.browser.wizard import _SETTLED, watch_console
from tests.server import run_in_app, running_app

pytestmark = pytest.mark.browser

PASSWORD = "Libri-Faqe-Mire-2026!"
SUPERVISOR = "arta"

_SEED = r"""
import asyncio, sys
from services import accounts

asyncio.run(accounts.create(sys.argv[1], "Arta Hoxha", "supervisor", sys.argv[2]))
"""

# Every public page of the library and the help pages, in the states a reader can reach.
PUBLIC_PAGES = ("/info", "/info?audience=children", "/info/bullying", "/info/signs-of-harm",
                "/info/search?q={found}", "/info/search?q=zzzz", "/info/search",
                "/help-services", "/accessibility")
# A search with results in each language ("femije" is an Albanian word: none in English).
FOUND = {"sq": "femije", "en": "children"}
# (language, easy read)
SETTINGS = (("sq", False), ("en", False), ("sq", True), ("en", True))
NO_VOICE_EN = "This phone has no voice for this language, so it cannot read aloud."


@pytest.fixture(scope="module")
def server(neutral_url):
    """A server of this module's own, with one supervisor account."""
    with running_app(RAPORTO_EXIT_URL=neutral_url) as running:
        run_in_app(running, _SEED, SUPERVISOR, PASSWORD)
        yield running
    shutil.rmtree(running.data, ignore_errors=True)


@pytest.fixture
def contexts(browser, server):
    """A factory: contexts(language="en", easy=False, **options) -> a page in a fresh context."""
    made = []

    def make(language: str = "en", easy: bool = False, **options):
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        set_reader(context, server.url, language, easy)
        return context.new_page()

    yield make
    for context in made:
        context.close()


def set_reader(context, url: str, language: str, easy: bool) -> None:
    """The reader's choices, as the app remembers them: the rp_lang and rp_easy cookies."""
    context.clear_cookies()
    cookies = [{"name": "rp_lang", "value": language, "url": url}]
    if easy:
        cookies.append({"name": "rp_easy", "value": "1", "url": url})
    context.add_cookies(cookies)


def settled(page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(_SETTLED)


def open_page(page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and response.status)
    settled(page)


class AxeFindings:
    """Runs axe on pages as they are now; collects violations by state, reports them at the end.

    `start` sets axe running in a page and returns at once, `finish` waits for every started
    run: axe in two pages (two renderer processes) then uses both cores. The script run is
    a11y.axe's own, so the results are those of run_axe.
    """

    def __init__(self):
        self.found: dict[str, list[dict]] = {}
        self.checked: list[str] = []
        self.running: list[tuple[object, str]] = []

    def start(self, page, state: str) -> None:
        settled(page)
        # axe's target-size counts a link covered by the sticky exit bar as smaller: judge every
        # state from the top of the page (as test_axe.py does).
        page.evaluate("window.scrollTo({top: 0, left: 0, behavior: 'instant'})")
        _inject(page)
        page.evaluate(f"tags => {{ window.__axeViolations = ({_RUN})(tags); }}", list(TAGS))
        self.running.append((page, state))

    def finish(self) -> None:
        for page, state in self.running:
            self.checked.append(state)
            violations = page.evaluate("() => window.__axeViolations")
            if violations:
                self.found[state] = violations
        self.running.clear()

    def check(self, page, state: str) -> None:
        self.start(page, state)
        self.finish()

    def report(self) -> str:
        by_rule: dict[tuple[str, str], dict] = {}
        for state, violations in self.found.items():
            for v in violations:
                for node in v["nodes"]:
                    key = (v["id"], " ".join(map(str, node["target"])))
                    entry = by_rule.setdefault(key, {"v": v, "html": node["html"], "states": []})
                    entry["states"].append(state)
        lines = [f"axe violations in {len(self.found)} of {len(self.checked)} state(s):"]
        for (rule, target), e in sorted(by_rule.items()):
            lines.append(f"- {rule} ({e['v']['impact']}): {e['v']['help']}")
            lines.append(f"    element: {target}   {e['html'][:160]}")
            lines.append(f"    states: {', '.join(e['states'])}")
        state, violations = next(iter(self.found.items()))
        lines.append(f"\nfull report of the first state ({state}):\n{format_violations(violations)}")
        return "\n".join(lines)


# --- 1. axe on the public pages --------------------------------------------------------------

def shows_what_it_should(page, path: str, easy: bool, state: str) -> None:
    """The page really is in the state its URL names (results, none, the easy-read version)."""
    results = page.locator("#results")
    if path == "/info/search?q=femije":
        assert results.locator('a[href="/info/what-is-abuse"]').count() == 1, state
    elif path.startswith("/info/search?q=") and "zzzz" not in path:
        assert results.locator('a[href^="/info/"]').count() >= 1, state
    elif path == "/info/search?q=zzzz":
        assert results.locator("a").count() == 1, state  # only "All pages"
        assert results.locator('a[href="/info"]').count() == 1, state
    elif path == "/info/search":
        assert results.inner_text().strip() == "", state
    elif path == "/info/bullying":  # has an easy-read version
        assert page.locator("#article .easy-version").count() == (1 if easy else 0), state
    elif path == "/info/signs-of-harm":  # has none: the whole page, even in easy read
        assert page.locator("#article .easy-version").count() == 0, state
        assert page.locator("#article h2").count() > 0, state
    elif path == "/info?audience=children":
        assert page.locator('a[href="/info/bullying"]').count() == 1, state
        assert page.locator('a[href="/info/signs-of-harm"]').count() == 0, state


def test_no_axe_violation_on_library_and_help_pages(contexts, server):
    """Both languages, easy read off and on; one page per language, axe running in both at once.
    /info/search?q=femije (Albanian) or ?q=children (English) shows results."""
    pages = {language: contexts(language=language, bypass_csp=True)  # so that axe can be injected
             for language in ("sq", "en")}
    axe = AxeFindings()
    for easy in (False, True):
        for language, page in pages.items():
            set_reader(page.context, server.url, language, easy)
        for path in PUBLIC_PAGES:
            for language, page in pages.items():
                url = path.format(found=FOUND[language])
                state = f"{url} [{language}{', easy read' if easy else ''}]"
                open_page(page, url)
                assert page.evaluate("document.documentElement.lang") == language, state
                assert page.evaluate("document.body.classList.contains('easy')") == easy, state
                shows_what_it_should(page, url, easy, state)
                axe.start(page, state)
            axe.finish()
    assert len(axe.checked) == len(SETTINGS) * len(PUBLIC_PAGES)
    assert not axe.found, axe.report()


# --- 2. axe on the editor --------------------------------------------------------------------

def sign_in(page) -> None:
    open_page(page, "/staff/login")
    page.fill("#username", SUPERVISOR)
    page.fill("#password", PASSWORD)
    page.locator('form[action="/staff/login"] button').click()
    page.wait_for_url("**/staff/inbox")
    settled(page)


def press(page, action: str, status: int) -> None:
    """One of the editor's buttons (a full-page POST); `status` is the answer expected."""
    with page.expect_navigation() as navigation:
        page.locator(f'button[name="action"][value="{action}"]').click()
    assert navigation.value is not None and navigation.value.status == status, action
    settled(page)


def assert_error_summary_focused(page, state: str) -> None:
    page.wait_for_function(
        "() => document.activeElement && !!document.activeElement.closest('.error-summary')",
        timeout=5000)
    summary = page.locator(".error-summary")
    assert summary.count() == 1, state
    # It is the first thing in <main>, so it is also what a screen reader reaches first.
    first = page.evaluate("() => { const m = document.querySelector('main');"
                          " return m && m.firstElementChild && m.firstElementChild.className; }")
    assert first is not None and "error-summary" in first, (state, first)
    assert page.locator('.error-summary a[href="#title"]').count() == 1, state


def fill_new_page(page, language: str) -> None:
    page.fill("#slug", "kites-and-feelings")
    page.select_option("#language", language)
    page.select_option("#audience", "children")
    page.select_option("#topic", "feelings")
    page.fill("#title", "Kites and feelings")
    page.fill("#summary", "Flying a kite can help.")
    page.fill("#body", "## Kites\n\nA kite can help.\n\n- Go outside\n- [Talk to us](/chat)")
    page.fill("#easy_read", "- A kite can help.")


def test_no_axe_violation_in_the_library_editor(contexts, server):
    """Every state of the editor in Albanian (the staff's language), the new-page form in
    English too."""
    page = contexts(language="sq", bypass_csp=True)
    axe = AxeFindings()
    sign_in(page)

    open_page(page, "/staff/library")
    axe.check(page, "library [sq]")
    first = page.locator("table tbody tr th a").first.get_attribute("href")
    assert first and first.startswith("/staff/library/"), first

    # A new page: empty form, preview, then a mistake (no title).
    open_page(page, "/staff/library/new")
    axe.check(page, "new [sq]")
    fill_new_page(page, "sq")
    press(page, "preview", 200)
    page.locator("#preview-title").wait_for()
    axe.check(page, "new:preview [sq]")
    page.fill("#title", "")
    press(page, "preview", 422)
    assert_error_summary_focused(page, "new:error [sq]")
    assert page.locator("#preview-title").count() == 0
    assert page.locator("#title").get_attribute("aria-describedby") == "title-error"
    assert page.locator("#slug").input_value() == "kites-and-feelings"  # nothing typed is lost
    axe.check(page, "new:error [sq]")

    # An existing page: its editor with the version history, preview, then a mistake.
    open_page(page, first)
    assert page.locator("#versions-title").count() == 1
    axe.check(page, "edit [sq]")
    press(page, "preview", 200)
    page.locator("#preview-title").wait_for()
    axe.check(page, "edit:preview [sq]")
    page.fill("#title", "")
    press(page, "preview", 422)
    assert_error_summary_focused(page, "edit:error [sq]")
    axe.check(page, "edit:error [sq]")
    assert page.evaluate("document.documentElement.lang") == "sq"

    # In English (same session): the list, and the new-page form after a preview and a mistake.
    page.context.add_cookies([{"name": "rp_lang", "value": "en", "url": server.url}])
    open_page(page, "/staff/library")
    assert page.evaluate("document.documentElement.lang") == "en"
    axe.check(page, "library [en]")
    open_page(page, "/staff/library/new")
    fill_new_page(page, "en")
    press(page, "preview", 200)
    page.locator("#preview-title").wait_for()
    page.fill("#title", "")
    press(page, "preview", 422)
    assert_error_summary_focused(page, "new:error [en]")
    axe.check(page, "new:error [en]")

    assert not axe.found, axe.report()


# --- 3. search as you type -------------------------------------------------------------------

def type_and_wait_for_results(page, path: str) -> None:
    """On `path`, type "bull" in #q: the results block gets the bullying page, in place."""
    open_page(page, path)
    assert page.locator("#results").count() == 1, f"{path} has no #results for the search box"
    page.evaluate("window.__same_document = true")
    page.locator("#q").click()
    page.keyboard.type("bull")
    page.locator('#results a[href="/info/bullying"]').wait_for()
    settled(page)
    assert page.evaluate("window.__same_document === true"), f"{path} was loaded again"
    assert page.url.endswith(path), page.url
    assert page.evaluate("document.activeElement && document.activeElement.id") == "q", path
    assert page.locator("#q").input_value() == "bull"
    assert page.locator("#results").count() == 1, path  # swapped, not nested
    # The count is announced in the live region that was already in the page.
    count = page.locator("#results h2").inner_text().strip()
    assert "found" in count, count
    page.wait_for_function("() => document.getElementById('status').textContent.trim().length > 0")
    assert page.locator("#status").inner_text().strip() == count


def test_typing_in_the_search_box_updates_the_results_without_a_page_load(contexts):
    page = contexts(language="en")  # the real CSP
    console = watch_console(page)
    type_and_wait_for_results(page, "/info/search")
    # /info has an empty #results under its search box: the same search as you type there.
    type_and_wait_for_results(page, "/info")
    # More typing: no results, then the results come back, all in the same document.
    page.keyboard.type("zzzz")
    page.locator('#results a[href="/info"]').wait_for()
    assert page.locator('#results a[href="/info/bullying"]').count() == 0
    for _ in range(4):
        page.keyboard.press("Backspace")
    page.locator('#results a[href="/info/bullying"]').wait_for()
    assert page.evaluate("window.__same_document === true")
    assert not console.problems(), console.problems()


# --- 4. without JavaScript -------------------------------------------------------------------

def test_search_and_easy_read_work_without_javascript(contexts):
    page = contexts(language="en", java_script_enabled=False)

    # The search form is a plain GET.
    open_page(page, "/info")
    page.fill("#q", "bull")
    with page.expect_navigation():
        page.locator('form[role="search"] button').click()
    settled(page)
    assert "/info/search?q=bull" in page.url
    assert page.locator('#results a[href="/info/bullying"]').count() == 1
    assert "found" in page.locator("#results h2").inner_text()
    assert page.locator("#q").input_value() == "bull"

    # The whole page; read aloud needs JavaScript, so its button stays hidden.
    open_page(page, "/info/bullying")
    assert page.locator(".easy-version").count() == 0
    assert page.locator("#article h2").count() > 0
    assert page.locator("[data-module=read-aloud]").is_hidden()

    # Easy read from the link in the header: the easy-read version of the page.
    switch = page.locator("header a.easy-switch")
    assert switch.inner_text().strip() == "Easy read"
    with page.expect_navigation():
        switch.click()
    settled(page)
    assert page.url.endswith("/info/bullying")
    assert page.evaluate("document.body.classList.contains('easy')")
    easy = page.locator("#article .easy-version")
    assert easy.is_visible()
    assert "It is not your fault." in easy.inner_text()
    assert page.locator("#article h2").count() == 0  # the long body is not shown
    assert page.locator("header a.easy-switch").inner_text().strip() == "Easy read: on (turn off)"

    # "Show the whole page": the full body, still in easy-read style.
    with page.expect_navigation():
        page.get_by_role("link", name="Show the whole page").click()
    settled(page)
    assert page.url.endswith("/info/bullying?full=1")
    assert page.evaluate("document.body.classList.contains('easy')")
    assert page.locator(".easy-version").count() == 0
    assert page.locator("#article h2").first.inner_text() == "What is bullying?"
    assert "Stay close to friends" in page.locator("#article").inner_text()

    # And off again: the link comes back to the same address, query string included.
    with page.expect_navigation():
        page.locator("header a.easy-switch").click()
    settled(page)
    assert page.url.endswith("/info/bullying?full=1")
    assert not page.evaluate("document.body.classList.contains('easy')")
    assert page.locator(".easy-version").count() == 0


# --- 5. read aloud ---------------------------------------------------------------------------

# The names of the voices for a language once the browser has loaded its list (it fires
# voiceschanged, or has voices already). Headless Chromium without speech-dispatcher has none.
_VOICES = """lang => new Promise(resolve => {
  const matching = () => speechSynthesis.getVoices()
      .filter(v => v.lang.toLowerCase().indexOf(lang) === 0).map(v => v.name);
  if (speechSynthesis.getVoices().length) return resolve(matching());
  speechSynthesis.addEventListener('voiceschanged', () => resolve(matching()), {once: true});
  setTimeout(() => resolve(matching()), 500);
})"""


def test_read_aloud_is_shown_and_honest_about_voices(contexts, server):
    page = contexts()  # the real CSP
    console = watch_console(page)
    button = page.locator("[data-module=read-aloud]")
    for language in ("sq", "en"):
        set_reader(page.context, server.url, language, False)
        open_page(page, "/info/bullying")
        button.wait_for(state="visible")
        assert button.get_attribute("data-lang") == language
        voices = page.evaluate(_VOICES, language)
        # The button follows the same list, through its own voiceschanged listener.
        page.wait_for_function("([b, has]) => b.disabled === !has",
                               arg=[button.element_handle(), bool(voices)], timeout=3000)
        label = button.inner_text().strip()
        if voices:
            assert button.is_enabled(), (language, voices, label)
            assert label == button.get_attribute("data-i18n-read")
        else:
            assert button.is_disabled(), (language, label)
            assert label == button.get_attribute("data-i18n-novoice")
            assert label != button.get_attribute("data-i18n-read")
            if language == "en":
                assert label == NO_VOICE_EN
        # Its accessible name is what it shows.
        assert page.get_by_role("button", name=label, exact=True).count() == 1, (language, label)
    assert not console.problems(), console.problems()


# --- 6. reflow at 320 CSS px -----------------------------------------------------------------

def test_library_pages_reflow_at_320_px(contexts, server):
    page = contexts(viewport=NARROW)
    wide = []
    for language, easy in SETTINGS:
        set_reader(page.context, server.url, language, easy)
        for path in ("/info/bullying", "/help-services", "/info"):
            open_page(page, path)
            scroll, client = page.evaluate("() => [document.documentElement.scrollWidth,"
                                           " document.documentElement.clientWidth]")
            if scroll > client:
                wide.append(f"{path} [{language}{', easy read' if easy else ''}]: "
                            f"scrollWidth {scroll} > clientWidth {client}")
    assert not wide, "horizontal scrolling at 320 CSS px:\n" + "\n".join(wide)
