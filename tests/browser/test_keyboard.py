"""The whole report and follow-up with the keyboard alone: Tab, Shift+Tab, Space, Enter, arrows.

No click(), fill(), check() or select_option(): text is typed with keyboard.type(). The page is
only read (document.activeElement, visibility) to know where the keyboard is.
"""

from __future__ import annotations

import pytest

from tests.browser.wizard import CODE, visible_code, wait_state

pytestmark = pytest.mark.browser

CONTINUE = '#step form[action="/report/answer"] button.button'


def focused_matches(page, css: str) -> bool:
    return page.evaluate("css => !!document.activeElement && document.activeElement.matches(css)", css)


def focused(page) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 100) : 'none'")


def tab_to(page, css: str, key: str = "Tab", limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches css."""
    for _ in range(limit):
        page.keyboard.press(key)
        if focused_matches(page, css):
            return
    raise AssertionError(f"{key} never reached {css}; focus is on {focused(page)}")


def heading_focused(page) -> None:
    """After a swap the new question's h1 has focus."""
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'"
                           " && document.activeElement.closest('#step, #check')", timeout=3000)


def go_on(page, state: str) -> None:
    tab_to(page, CONTINUE)
    page.keyboard.press("Enter")
    wait_state(page, state, True)
    heading_focused(page)


def test_report_and_follow_up_by_keyboard_only(page, app_url):
    page.goto("/")
    tab_to(page, 'main a[href="/report"]')
    page.keyboard.press("Enter")
    wait_state(page, "intro", True)

    tab_to(page, '#step form[action="/report/start"] button')
    page.keyboard.press("Enter")
    wait_state(page, "who", True)
    heading_focused(page)

    # An error first: Continue with nothing chosen, then follow the error summary's link.
    tab_to(page, CONTINUE)
    page.keyboard.press("Enter")
    wait_state(page, "who:error", True)
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')")
    tab_to(page, ".error-summary a")
    page.keyboard.press("Enter")
    if not focused_matches(page, 'input[name="about"]'):
        tab_to(page, 'input[name="about"]')
    page.keyboard.press("ArrowDown")  # "Another child"
    page.keyboard.press("ArrowDown")  # "I am an adult…"
    page.keyboard.press("ArrowUp")  # back to "Another child"
    assert page.locator('input[name="about"][value="other_child"]').is_checked()
    go_on(page, "what")

    tab_to(page, 'input[name="categories"][value="physical"]')
    page.keyboard.press("Space")
    tab_to(page, 'input[name="categories"][value="neglect"]')
    page.keyboard.press("Space")
    # Shift+Tab back to the first box and untick it, then tick it again.
    tab_to(page, 'input[name="categories"][value="physical"]', key="Shift+Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Space")
    assert page.locator('input[name="categories"]:checked').count() == 2
    go_on(page, "danger")

    tab_to(page, 'input[name="in_danger"]')
    page.keyboard.press("Space")  # the first answer: yes
    assert page.locator('input[name="in_danger"][value="yes"]').is_checked()
    page.locator("#emergency").wait_for(state="visible")
    tab_to(page, '#emergency a[href="tel:112"]')  # the numbers are reachable by keyboard
    go_on(page, "when")
    assert page.locator("#emergency").is_visible()

    tab_to(page, 'input[name="happened"]')
    page.keyboard.press("ArrowDown")
    assert page.locator('input[name="happened"]:checked').count() == 1
    go_on(page, "county")

    tab_to(page, "#county")
    page.keyboard.press("ArrowDown")
    assert page.locator("#county").input_value() != ""
    go_on(page, "municipality")

    tab_to(page, "#municipality")
    page.keyboard.press("ArrowDown")
    assert page.locator("#municipality").input_value() != ""
    go_on(page, "age")

    tab_to(page, 'input[name="age_group"]')
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator('input[name="age_group"]:checked').count() == 1
    go_on(page, "details")

    tab_to(page, "#details")
    text = "He hits my friend every day after school."
    page.keyboard.type(text)
    assert page.locator("#details").input_value() == text
    go_on(page, "needs")

    tab_to(page, 'input[name="needs"][value="screen_reader"]')
    page.keyboard.press("Space")
    go_on(page, "contact")

    tab_to(page, 'input[name="contact"]')
    page.keyboard.press("ArrowDown")  # "Call me back": its phone field appears
    assert page.locator('input[name="contact"][value="phone"]').is_checked()
    page.locator("#phone").wait_for(state="visible")
    page.keyboard.press("Tab")
    assert focused_matches(page, "#phone"), f"Tab after 'Call me back' went to {focused(page)}"
    page.keyboard.type("069 123 4567")
    go_on(page, "check")

    # Change one answer from check-your-answers, then send.
    tab_to(page, 'button[name="step"][value="details"]')
    page.keyboard.press("Enter")
    wait_state(page, "details", True)
    heading_focused(page)
    tab_to(page, "#details")
    page.keyboard.type(" And on Saturdays.")
    go_on(page, "check")
    assert "Saturdays" in page.locator("#step dl.summary").inner_text()

    tab_to(page, '#step form[action="/report/send"] button.button')
    page.keyboard.press("Enter")
    wait_state(page, "receipt", True)
    heading_focused(page)
    code = visible_code(page)
    assert CODE.match(code), code
    assert page.locator("#emergency").is_visible()  # urgent: the numbers again

    # Follow up: the link on the receipt, the code typed, the timeline, one more message.
    tab_to(page, '#step a[href="/check"]')
    page.keyboard.press("Enter")
    wait_state(page, "check:code", True)
    tab_to(page, "#code")
    page.keyboard.type(code.replace(" ", "-"))
    page.keyboard.press("Enter")  # implicit submission
    wait_state(page, "check:report", True)
    heading_focused(page)
    tab_to(page, "#message")
    page.keyboard.type("I remembered more.")
    tab_to(page, '#check form[action="/check/add"] button.button')
    page.keyboard.press("Enter")
    page.locator("#check .messages li", has_text="I remembered more.").wait_for()
    wait_state(page, "check:report", True)
    assert page.url == app_url + "/check"
