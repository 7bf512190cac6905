"""At 320 CSS px: no horizontal scrolling anywhere, and focus never hidden by the exit bar."""

from __future__ import annotations

import pytest

from tests.browser.wizard import Answers, follow_up, wait_state, walk

pytestmark = pytest.mark.browser

LONG_WORD = "Ndihmë" + "ë" * 60 + "https://example.com/" + "a" * 120  # no break opportunity

_OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > root.clientWidth + 0.5 && r.width > 0) wide.push(
      el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' right=' + Math.round(r.right));
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest: wide.slice(-6)};
}"""


def _overflow(page):
    return page.evaluate(_OVERFLOW)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_no_horizontal_scroll_at_320px(new_page, js):
    page = new_page(js=js, narrow=True)
    found: dict[str, dict] = {}
    long_word_done = []

    def check(state: str) -> None:
        if problem := _overflow(page):
            found[state] = problem
        if state == "check" and not long_word_done:
            long_word_done.append(True)
            # Once more with a long unbroken word typed in the details (and back to check).
            page.locator('#step form[action="/report/change"] button[value="details"]').click()
            wait_state(page, "details", js)
            page.locator("#details").fill(LONG_WORD)
            if problem := _overflow(page):
                found["details:long-word"] = problem
            page.locator('#step form[action="/report/answer"] button.button').click()
            wait_state(page, "check", js)
            if problem := _overflow(page):
                found["check:long-word"] = problem

    seen = walk(page, js, Answers(in_danger="yes", contact="phone"), check, start_at_home=True,
                with_errors=True)
    assert "check" in seen.states and long_word_done
    follow_up(page, js, seen.code, LONG_WORD, check, wrong_code=True)
    for path in ("/info/what-happens", "/info/staying-safe-online", "/no-such-page"):
        page.goto(path)
        check(path)
    message = "horizontal scrolling at 320 px:\n" + "\n".join(
        f"  {state}: scrollWidth {p['scrollWidth']} > clientWidth {p['clientWidth']}; "
        f"wide elements: {', '.join(p['widest'])}" for state, p in found.items())
    assert not found, message


# Waits for the (smooth) focus scroll to end, then looks at the focused element's centre.
_OBSCURED = """async () => {
  let last = null, same = 0;
  for (let i = 0; i < 240 && same < 2; i++) {
    await new Promise(r => requestAnimationFrame(r));
    const now = window.scrollX + ',' + window.scrollY;
    same = now === last ? same + 1 : 0;
    last = now;
  }
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const describe = e => e ? e.outerHTML.slice(0, 100) : 'nothing (outside the viewport)';
  // An inline link that wraps has one box per line: look at the centre of each.
  let miss = null;
  for (const r of el.getClientRects()) {
    if (r.width === 0 || r.height === 0) continue;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (hit && (hit === el || el.contains(hit))) return null;
    miss = miss || {focused: describe(el), covered_by: describe(hit), centre: [Math.round(x), Math.round(y)],
                    by_exit_bar: !!(hit && hit.closest('.exitbar'))};
  }
  return miss || {focused: describe(el), covered_by: 'nothing: the element has no box', centre: []};
}"""


class _Stop(Exception):
    """Ends a walk early, on the state under test."""


def test_focus_not_obscured_on_check_answers_at_320px(narrow_page):
    """Shift+Tab up from the heading, then Tab down through the whole page: the sticky
    quick-exit bar never covers the centre of the focused element."""
    page = narrow_page

    def stop_on_check(state: str) -> None:
        if state == "check":
            raise _Stop

    with pytest.raises(_Stop):
        walk(page, True, Answers(in_danger="yes", contact="phone", details="At school."),
             stop_on_check)
    problems: list[str] = []
    visited = 0
    for key in ("Shift+Tab", "Tab"):
        for _ in range(100):
            page.keyboard.press(key)
            if page.evaluate("document.activeElement === document.body || !document.activeElement"):
                break
            visited += 1
            if problem := page.evaluate(_OBSCURED):
                problems.append(f"after {key}: {problem['focused']} is covered by "
                                f"{problem['covered_by']} at {problem['centre']}")
        else:
            pytest.fail(f"{key} never left the page")
    assert visited > 30, f"only {visited} focus stops: the page was not walked through"
    assert not problems, "focus obscured at 320x640:\n" + "\n".join(problems)

    # The check itself must see a covered element: focus a Change button without scrolling,
    # then scroll it under the sticky bar.
    page.evaluate("""() => {
      const button = document.querySelector('#step form[action="/report/change"] button');
      button.focus({preventScroll: true});
      const bar = document.querySelector('.exitbar').getBoundingClientRect();
      window.scrollBy({top: button.getBoundingClientRect().top - bar.top - 4, behavior: 'instant'});
    }""")
    covered = page.evaluate(_OBSCURED)
    assert covered and covered["by_exit_bar"], f"the obscured-focus check is blind: {covered}"
