"""The counsellor's side in a real browser: keyboard only, then axe on every counsellor page.

The app runs as a real server (SQLite) with its own data folder; the staff accounts, a service
and canned replies are written into that folder's database by a small `python -c` process, and
each child's report is made over HTTP, as a browser without JavaScript would.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid

import httpx
import pytest

from a11y.axe import format_violations, run_axe
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.wizard import _SETTLED, watch_console
from tests.journey import report as child_report
from tests.server import run_in_app, running_app

pytestmark = pytest.mark.browser

PASSWORD = "Lule-Mali-Det-2026!"
SERVICE_NAME = "Komisariati i Policisë Nr. 3 (secret)"
SERVICE_PHONE = "+355 4 222 9999"
CANNED_TITLE = "Zëri yt ka rëndësi"
CANNED_BODY = "Zëri yt ka rëndësi. Bëre gjënë e duhur që na shkrove."

_SEED = r"""
import asyncio, json, sys
from db.tables import CannedReply, Service
from services import accounts

async def main(password, seed):
    for username, name, role in (("drita", "Drita Krasniqi", "counsellor"),
                                 ("besa", "Besa Leka", "supervisor")):
        await accounts.create(username, name, role, password)
    await Service.insert(Service(name=seed["service"], kind="police", phone=seed["phone"],
                                 address="Rruga e Durrësit 1", hours="24/7")).run()
    await CannedReply.insert(*(CannedReply(language=language, title=title, body=body)
                               for language, title, body in seed["canned"])).run()

asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
"""
SEED = {"service": SERVICE_NAME, "phone": SERVICE_PHONE,
        "canned": [["en", "Your voice matters", "Your voice matters. You did the right thing."],
                   ["sq", CANNED_TITLE, CANNED_BODY]]}


@pytest.fixture(scope="module")
def server(neutral_url):
    """A server of this module's own, with two staff accounts, a service and canned replies."""
    with running_app(RAPORTO_EXIT_URL=neutral_url) as running:
        run_in_app(running, _SEED, PASSWORD, json.dumps(SEED))
        yield running
    shutil.rmtree(running.data, ignore_errors=True)


def make_report(server) -> tuple[int, str, str]:
    """A child's report over HTTP: (report id, reference, receipt code)."""
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        code = child_report(client)
    assert code
    with sqlite3.connect(server.data / "raporto.sqlite3") as db:
        report_id, reference = db.execute(
            "SELECT id, reference FROM report ORDER BY id DESC LIMIT 1").fetchone()
    return report_id, reference, code


@pytest.fixture
def contexts(browser, server):
    """A factory of fresh browser contexts on this module's server, closed after the test."""
    made = []

    def make(**options):
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context.new_page()

    yield make
    for context in made:
        context.close()


# --- keyboard helpers ------------------------------------------------------------------------

def focused_matches(page, css: str) -> bool:
    return page.evaluate("css => !!document.activeElement && document.activeElement.matches(css)", css)


def focused(page) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : 'none'")


def tab_to(page, css: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches css (the page wraps round if need be)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_matches(page, css):
            return
    raise AssertionError(f"Tab never reached {css}; focus is on {focused(page)}")


def choose(page, css: str, text: str) -> None:
    """On a focused <select>, arrow keys until the chosen option's text contains `text`."""
    assert focused_matches(page, css)
    count = page.locator(f"{css} option").count()
    page.keyboard.press("Home")
    for _ in range(count):
        if text in page.evaluate("css => { const s = document.querySelector(css);"
                                 " return s.options[s.selectedIndex].text; }", css):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option of {css} contains {text!r}")


def settled(page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(_SETTLED)  # htmx done (always true without JavaScript)


def press_enter_on(page, css: str) -> None:
    tab_to(page, css)
    page.keyboard.press("Enter")


def notice_shown(page, js: bool, done: str) -> str:
    """After an action: with htmx the notice (role=status) is swapped in and focused; without
    JavaScript the browser follows POST -> 303 -> GET to the case page with the notice."""
    if js:
        page.wait_for_function("() => document.activeElement && document.activeElement.matches("
                               "'#case p.panel[role=status]')", timeout=5000)
    else:
        page.wait_for_url(f"**/staff/case/*?done={done}")
        settled(page)
    return page.locator("#case p.panel[role=status]").inner_text()


def switch_language(page, code: str) -> None:
    page.locator(f'header a[hreflang="{code}"]').click()
    page.wait_for_function(f"document.documentElement.lang === '{code}'")
    settled(page)


def child_sees(contexts, code: str) -> str:
    """The child's /check page, in English, after entering the receipt code."""
    child = contexts(java_script_enabled=True)
    child.goto("/check")
    switch_language(child, "en")
    child.fill("#code", code)
    child.locator('#check form[action="/check/code"] button.button').click()
    child.locator("#check ol.timeline").wait_for(state="attached")
    settled(child)
    return child.locator("#check").inner_text()


# --- the journey -----------------------------------------------------------------------------

@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_counsellor_triages_claims_replies_and_refers_by_keyboard(contexts, server, js):
    report_id, reference, code = make_report(server)
    page = contexts(java_script_enabled=js)  # the real CSP
    console = watch_console(page)
    marker = uuid.uuid4().hex[:8]

    # Sign in: Tab to each field, type, Enter.
    page.goto("/staff/login")
    settled(page)
    tab_to(page, "#username")
    page.keyboard.type("drita")
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/inbox")
    settled(page)

    # Find the case in the inbox and open it.
    row = page.locator(f"#case-{report_id}")
    assert row.inner_text().strip() == reference
    press_enter_on(page, f"a#case-{report_id}")
    page.wait_for_url(f"**/staff/case/{report_id}")
    settled(page)

    # Claim it.
    press_enter_on(page, f'form[action="/staff/case/{report_id}/claim"] button')
    notice_shown(page, js, "claim")
    assert page.locator(f'form[action="/staff/case/{report_id}/claim"]').count() == 0
    assert "Drita Krasniqi" in page.locator("#case dl.summary").first.inner_text()

    # Choose a canned reply, put it into the reply box, add to it, send it.
    assert page.locator("#reply").input_value() == ""
    tab_to(page, "#canned")
    choose(page, "#canned", CANNED_TITLE)
    press_enter_on(page, f'form[action="/staff/case/{report_id}/canned"] button')
    page.wait_for_function("() => document.querySelector('#reply').value.length > 0")
    settled(page)
    canned = page.locator("#reply").input_value()
    assert canned == CANNED_BODY  # Albanian, the page's language
    tab_to(page, "#reply")
    page.keyboard.press("Control+End")
    page.keyboard.type(f" Reply {marker}.")
    press_enter_on(page, f'form[action="/staff/case/{report_id}/reply"] button')
    notice_shown(page, js, "reply")
    reply = f"{canned} Reply {marker}."

    # An internal note, which the child must never see.
    tab_to(page, "#note")
    page.keyboard.type(f"Internal {marker}")
    press_enter_on(page, f'form[action="/staff/case/{report_id}/note"] button')
    notice_shown(page, js, "note")

    # Refer to the police station, with a note.
    tab_to(page, "#service")
    choose(page, "#service", SERVICE_NAME)
    tab_to(page, "#referral-note")
    page.keyboard.type(f"Referral note {marker}")
    press_enter_on(page, f'form[action="/staff/case/{report_id}/refer"] button')
    notice_shown(page, js, "refer")
    timeline = page.locator("#case ol.messages").inner_text()
    assert reply in timeline and f"Internal {marker}" in timeline
    assert SERVICE_NAME in page.locator("#case").inner_text()

    # A mistake: changing the urgency without a reason shows the error summary, focused.
    press_enter_on(page, f'form[action="/staff/case/{report_id}/urgency"] button')
    page.wait_for_function("() => document.activeElement && "
                           "document.activeElement.matches('#case .error-summary')", timeout=5000)
    assert page.title().startswith("Gabim:")
    page.keyboard.press("Tab")  # the summary's link leads to the field
    assert focused_matches(page, '.error-summary a[href="#reason"]')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'reason'")
    assert not console.problems(), console.problems()

    # The child sees the reply and "referred to the police", nothing internal.
    seen = child_sees(contexts, code)
    assert f"Reply {marker}." in seen
    assert "Referred to the police" in seen
    for secret in (f"Internal {marker}", f"Referral note {marker}", SERVICE_NAME, SERVICE_PHONE):
        assert secret not in seen


# --- axe on every counsellor page, in both languages -----------------------------------------

@pytest.mark.parametrize("language", ["sq", "en"])
def test_no_axe_violation_on_counsellor_pages(contexts, server, language):
    report_id, _, _ = make_report(server)
    page = contexts(java_script_enabled=True, bypass_csp=True)  # only so that axe can be injected
    found: dict[str, list[dict]] = {}

    def check(state: str) -> None:
        settled(page)
        page.evaluate("window.scrollTo({top: 0, left: 0, behavior: 'instant'})")
        assert page.evaluate("document.documentElement.lang") == language, state
        violations = run_axe(page)
        if violations:
            found[state] = violations

    page.goto("/staff/login")
    settled(page)
    if language != "sq":
        switch_language(page, language)
    check("sign-in")
    page.fill("#username", "besa")
    page.fill("#password", "not the password at all")
    page.locator('form[action="/staff/login"] button').click()
    page.locator(".error-summary").wait_for(state="attached")
    check("sign-in:error")
    page.fill("#password", PASSWORD)
    page.locator('form[action="/staff/login"] button').click()
    page.wait_for_url("**/staff/inbox")
    check("inbox")
    page.goto("/staff/inbox?status=new&urgent=1")
    check("inbox:filtered")

    page.goto(f"/staff/case/{report_id}")
    check("case")
    page.locator(f'form[action="/staff/case/{report_id}/claim"] button').click()
    page.locator("#case p.panel[role=status]").wait_for()
    check("case:claimed")
    page.locator(f'form[action="/staff/case/{report_id}/urgency"] button').click()
    page.locator("#case .error-summary").wait_for()
    check("case:error")
    page.locator(f'form[action="/staff/case/{report_id}/canned"] button').click()
    page.wait_for_function("() => document.querySelector('#reply').value.length > 0")
    check("case:canned")
    page.locator(f'form[action="/staff/case/{report_id}/reply"] button').click()
    page.locator("#case p.panel[role=status]").wait_for()
    page.locator(f'form[action="/staff/case/{report_id}/refer"] button').click()
    page.locator(f'form[action^="/staff/case/{report_id}/referral/"]').first.wait_for()
    check("case:referred")
    # Without JavaScript (a full page after the redirect) and the 404 of a missing case.
    page.goto(f"/staff/case/{report_id}?done=refer")
    check("case:notice")
    response = page.goto("/staff/case/987654")
    assert response is not None and response.status == 404
    check("case:404")

    assert not found, "\n".join(f"{state}:\n{format_violations(v)}" for state, v in found.items())
