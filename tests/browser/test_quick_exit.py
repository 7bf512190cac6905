"""Quick exit: Shift three times or the link; lands on the neutral site; Back cannot return."""

from __future__ import annotations

import pytest

from tests.browser.wizard import wait_state

pytestmark = pytest.mark.browser


def _start_journey(page, js: bool = True) -> None:
    """Open /report directly (as from a bookmark or a search) and answer the first question."""
    page.goto("/report")
    page.locator('#step form[action="/report/start"] button').click()
    wait_state(page, "who", js)
    page.check('input[name="about"][value="me"]')
    page.locator('#step form[action="/report/answer"] button.button').click()
    wait_state(page, "what", js)


def _assert_left_for_good(page, app_url: str, neutral_url: str) -> None:
    page.wait_for_url(neutral_url)
    assert page.title() == "Neutral"
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith(app_url), f"Back returned into the app: {page.url}"
    assert page.url in (neutral_url, "about:blank"), page.url


def _draft_forgotten(page) -> None:
    """The unsent draft is gone: /report opens on the intro again (in the same browser)."""
    page.goto("/report")
    wait_state(page, "intro", js=False)


def test_shift_three_times(page, app_url, neutral_url):
    _start_journey(page)
    progress = page.locator("#exit-progress")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert "2" in progress.text_content(), "progress is not announced to screen readers"
    page.keyboard.press("Shift")
    _assert_left_for_good(page, app_url, neutral_url)
    _draft_forgotten(page)


def test_quick_exit_link(page, app_url, neutral_url):
    _start_journey(page)
    page.locator(".exitbar a.quick-exit").click()
    _assert_left_for_good(page, app_url, neutral_url)
    _draft_forgotten(page)


def test_first_focusable_is_the_exit(page, app_url, neutral_url):
    _start_journey(page)
    page.goto("/report")  # a fresh load: sequential focus starts at the top of the document
    wait_state(page, "what", True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('data-module')") == "quick-exit"
    page.keyboard.press("Enter")
    _assert_left_for_good(page, app_url, neutral_url)


def test_quick_exit_without_js_goes_through_exit(nojs_page, app_url, neutral_url):
    page = nojs_page
    _start_journey(page, js=False)
    responses = []
    page.on("response", lambda r: responses.append(r) if r.url.endswith("/exit") else None)
    page.locator(".exitbar a.quick-exit").click()
    page.wait_for_url(neutral_url)
    assert page.title() == "Neutral"
    assert responses, "the link did not go through /exit"
    exit_response = responses[0]
    assert exit_response.status == 303
    headers = exit_response.all_headers()  # .headers leaves out security-related ones
    assert headers.get("clear-site-data") == '"cache"'
    assert headers.get("referrer-policy") == "no-referrer"
    _draft_forgotten(page)


def test_other_key_between_shifts_resets_the_count(page, app_url):
    _start_journey(page)
    for key in ("Shift", "a", "Shift", "Shift"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)  # give a wrong exit time to happen
    assert page.url == app_url + "/report"
    assert page.locator("#step").is_visible()
    assert page.locator(".exit-overlay").count() == 0
    page.keyboard.press("Shift")  # the third Shift in a row now leaves
    page.wait_for_url(lambda url: not url.startswith(app_url))


def test_shift_held_down_counts_once(page, app_url):
    """Auto-repeat while Shift is held (e.g. typing capitals) is not three presses."""
    _start_journey(page)
    page.keyboard.down("Shift")
    page.evaluate("""() => { for (let i = 0; i < 5; i++) document.dispatchEvent(
        new KeyboardEvent('keydown', {key: 'Shift', repeat: true, bubbles: true})); }""")
    page.keyboard.up("Shift")
    page.wait_for_timeout(300)
    assert page.url == app_url + "/report"


def test_back_after_exit_when_an_in_page_link_was_used(page, app_url, neutral_url):
    """Skip link / error-summary links change the URL's #fragment: a history entry in the app."""
    page.goto("/report")
    page.locator('#step form[action="/report/start"] button').click()
    wait_state(page, "who", True)
    page.locator('#step form[action="/report/answer"] button.button').click()
    wait_state(page, "who:error", True)
    page.locator(".error-summary a").first.click()  # "Choose who this is about" -> #about
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url(neutral_url)
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith(app_url), f"Back returned into the app: {page.url}"
    assert page.url in (neutral_url, "about:blank")


def test_back_after_exit_when_the_report_was_opened_from_home(page, app_url, neutral_url):
    """A child who opens the home page and then taps Report: two app pages in history."""
    page.goto("/")
    page.locator('main a[href="/report"]').click()
    wait_state(page, "intro", True)
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url(neutral_url)
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith(app_url), f"Back returned into the app: {page.url}"
    assert page.url in (neutral_url, "about:blank")
