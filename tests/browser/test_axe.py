"""axe-core (WCAG 2.0-2.2 A/AA and best practice) on every page and state a child can reach."""

from __future__ import annotations

import pytest

from a11y.axe import format_violations, run_axe
from tests.browser.wizard import Answers, follow_up, walk

pytestmark = pytest.mark.browser

INFO_PAGES = ("/info/what-happens", "/info/staying-safe-online")


@pytest.mark.parametrize("language", ["sq", "en"])
def test_no_axe_violation_anywhere(axe_page, language):
    page = axe_page
    found: dict[str, list[dict]] = {}

    def check(state: str) -> None:
        # axe's target-size rule counts a link as smaller when the sticky exit bar covers part
        # of it, so its result would depend on where the last action (or a smooth scroll still
        # running) left the page. Judge every state from the top of the page.
        page.evaluate("window.scrollTo({top: 0, left: 0, behavior: 'instant'})")
        violations = run_axe(page)
        if violations:
            found[state] = violations

    # The whole report journey: home, intro, every step, an error, the emergency card,
    # check your answers, the receipt.
    seen = walk(page, True, Answers(in_danger="yes", contact="phone"), check,
                start_at_home=True, language=language if language != "sq" else None,
                with_errors=True)
    assert page.evaluate("document.documentElement.lang") == language
    for state in ("home", "intro", "who:error", "danger:card", "municipality", "check", "receipt"):
        assert state in seen.states, f"the walk never reached {state}"

    # /check: empty and wrong code errors, the timeline, after adding information.
    follow_up(page, True, seen.code, "Also at the bus stop.", check, wrong_code=True,
              empty_code=True)

    # Information pages and a 404 page.
    for path in (*INFO_PAGES, "/no-such-page"):
        response = page.goto(path)
        assert response is not None
        if path.startswith("/no-such"):
            assert response.status == 404
        page.wait_for_load_state("load")
        check(path)

    assert not found, summarise(language, found)


def summarise(language: str, found: dict[str, list[dict]]) -> str:
    """One entry per rule and element, listing the states where axe saw it."""
    by_rule: dict[tuple[str, str], dict] = {}
    for state, violations in found.items():
        for v in violations:
            for node in v["nodes"]:
                key = (v["id"], " ".join(map(str, node["target"])))
                entry = by_rule.setdefault(key, {"v": v, "html": node["html"], "states": []})
                entry["states"].append(state)
    lines = [f"axe violations [{language}] in {len(found)} state(s):"]
    for (rule, target), e in sorted(by_rule.items()):
        lines.append(f"- {rule} ({e['v']['impact']}): {e['v']['help']}")
        lines.append(f"    element: {target}   {e['html'][:160]}")
        lines.append(f"    states: {', '.join(e['states'])}")
    first = next(iter(found.items()))
    lines.append(f"\nfull report of the first state ({first[0]}):\n{format_violations(first[1])}")
    return "\n".join(lines)
