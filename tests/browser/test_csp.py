"""The real Content-Security-Policy (no bypass): nothing the app does is refused by it."""

from __future__ import annotations

import pytest

from tests.browser.wizard import Answers, follow_up, walk, watch_console

pytestmark = pytest.mark.browser


def test_no_csp_violation_during_a_journey(page):
    """JS on, CSP enforced: htmx swaps, app.js widgets, the follow-up and the quick exit."""
    watch = watch_console(page)
    seen = walk(page, True, Answers(in_danger="yes", contact="phone"), start_at_home=True,
                with_errors=True, change=True)
    follow_up(page, True, seen.code, "More.", wrong_code=True)
    for path in ("/info/what-happens", "/no-such-page"):
        page.goto(path)
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")  # the exit overlay is added by script
    page.wait_for_url("**/neutral")
    assert not watch.problems(), "\n".join(watch.problems())


def test_the_csp_check_sees_a_violation(page):
    """The console check above is not blind: an inline style and script are reported."""
    watch = watch_console(page)
    page.goto("/report")
    page.evaluate("""() => {
      const div = document.createElement('div');
      div.innerHTML = '<p style="color: red">x</p>';
      document.body.appendChild(div);
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.appendChild(script);
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__inline") is None
    assert len(watch.csp) >= 1, "a CSP violation was not reported in the console"
