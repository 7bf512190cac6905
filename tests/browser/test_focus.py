"""After every htmx swap: focus on the new heading (or the error summary), one URL, no history."""

from __future__ import annotations

import pytest

from tests.browser.wizard import Answers, follow_up, walk

pytestmark = pytest.mark.browser

# States reached by a full page load (focus starts on the document) or without any swap.
NOT_SWAPS = {"home", "intro", "danger:card", "check:code"}

_FOCUS_TARGET = """() => {
  const root = document.querySelector('#step, #check') || document.querySelector('main');
  const summary = root.querySelector('.error-summary');
  return summary || root.querySelector('h1');
}"""

_FOCUSED_RIGHT = f"() => {{ const t = ({_FOCUS_TARGET})(); return !!t && document.activeElement === t; }}"

_DESCRIBE = """() => {
  const a = document.activeElement;
  return a ? a.outerHTML.slice(0, 120) : String(a);
}"""

# document.title must start with the h1 text (after "Error: "/"Gabim: " when there are errors).
_TITLE = """() => {
  const root = document.querySelector('#step, #check') || document.querySelector('main');
  const h1 = root.querySelector('h1');
  const text = s => (s || '').replace(/\\s+/g, ' ').trim();
  return {title: text(document.title), h1: text(h1 && h1.textContent),
          error: !!root.querySelector('.error-summary')};
}"""
ERROR_PREFIXES = ("Error: ", "Gabim: ")


def _focus_problem(page, state: str) -> str | None:
    try:
        page.wait_for_function(_FOCUSED_RIGHT, timeout=2000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: described below
        expected = page.evaluate(f"() => {{ const t = ({_FOCUS_TARGET})(); return t && t.outerHTML.slice(0, 120); }}")
        return f"{state}: focus is on {page.evaluate(_DESCRIBE)}, expected {expected}"
    return None


def _title_problem(page, state: str) -> str | None:
    t = page.evaluate(_TITLE)
    title = t["title"]
    if t["error"]:
        if not title.startswith(ERROR_PREFIXES):
            return f"{state}: title {title!r} does not start with an error prefix"
        title = title.split(" ", 1)[1]
    if not title.startswith(t["h1"]):
        return f"{state}: document.title is {t['title']!r} but the h1 is {t['h1']!r}"
    return None


@pytest.mark.parametrize("language", ["sq", "en"])
def test_focus_url_and_history_after_every_swap(page, language):
    problems: list[str] = []
    title_problems: list[str] = []
    baseline: dict[str, int] = {}
    states: list[str] = []

    def check(state: str) -> None:
        states.append(state)
        if state not in NOT_SWAPS:
            if problem := _focus_problem(page, state):
                problems.append(problem)
        if problem := _title_problem(page, state):
            title_problems.append(problem)
        history = page.evaluate("history.length")
        journey = "check" if state.startswith("check:") else "report"
        expected_path = "/check" if journey == "check" else "/report"
        if not page.url.endswith(expected_path):
            problems.append(f"{state}: the URL is {page.url}, not {expected_path}")
        baseline.setdefault(journey, history)
        if history != baseline[journey]:
            problems.append(f"{state}: history.length grew from {baseline[journey]} to {history}")

    seen = walk(page, True, Answers(in_danger="yes", contact="email", email="a@example.com"),
                check, language=None if language == "sq" else language, with_errors=True,
                change=True)
    follow_up(page, True, seen.code, "Something more", check, wrong_code=True, empty_code=True)

    assert {"who:error", "check", "receipt", "check:wrong-code", "check:report",
            "check:added"} <= set(states), states
    assert not problems, "\n".join(problems)
    # htmx lifts a <title> only from the fragment's root into document.title.
    assert not title_problems, "document.title does not follow htmx swaps:\n" + "\n".join(title_problems)


def test_status_region_exists_before_any_swap(nojs_page, page):
    """The polite live region must be in the initial page, outside what gets swapped."""
    for p in (nojs_page, page):
        for path in ("/", "/report", "/check"):
            p.goto(path)
            status = p.locator("#status")
            assert status.count() == 1, f"{path}: no #status"
            assert status.get_attribute("role") == "status"
            assert status.get_attribute("aria-live") == "polite"
            assert p.locator("#step #status, #check #status").count() == 0
            assert p.locator("[role=status]").count() >= 1


def test_danger_step_is_a_named_group_and_the_card_is_announced(page):
    page.goto("/report")
    page.locator('#step form[action="/report/start"] button').click()
    page.check('input[name="about"][value="me"]')
    page.locator('#step form[action="/report/answer"] button.button').click()
    page.check('input[name="categories"][value="neglect"]')
    page.locator('#step form[action="/report/answer"] button.button').click()
    page.locator('#step input[name="step"][value="danger"]').wait_for(state="attached")

    question = page.locator("#step legend h1").inner_text().strip()
    assert question
    snapshot = page.locator("#step").aria_snapshot()
    assert f'group "{question}"' in snapshot, snapshot
    assert snapshot.count("- radio ") == 3, snapshot
    assert not page.locator("#emergency").is_visible()

    page.check('input[name="in_danger"][value="yes"]')
    page.locator("#emergency").wait_for(state="visible")
    card_title = page.locator("#emergency h2").inner_text().strip()
    snapshot = page.locator("#step").aria_snapshot()
    assert f'region "{card_title}"' in snapshot, snapshot
    assert snapshot.count('link "') >= 4, snapshot  # 112, 129, 127 and the helpline
    expected = page.locator("#emergency").get_attribute("data-i18n-shown")
    page.wait_for_function("t => document.getElementById('status').textContent === t", arg=expected)
    # Focus stays on the chosen answer: the card does not steal it.
    assert page.evaluate("document.activeElement.name") == "in_danger"
