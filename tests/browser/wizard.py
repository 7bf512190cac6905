"""Walking the report and follow-up journeys in a real browser, with or without JavaScript.

Everything here finds elements by structure (form actions, field names, values), never by
wording, so the same walk runs in every language. `walk()` calls `on_state(name)` at every
page or state it reaches, which is where the axe, reflow and focus tests hook in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Callable

REPORT = "/report"
CHECK = "/check"

# A selector that is in the document exactly when the wizard is in that state.
STATE_SELECTORS = {
    "intro": '#step form[action="/report/start"]',
    "check": '#step form[action="/report/send"]',
    "receipt": "#step .code",
    "check:code": '#check form[action="/check/code"]',
    "check:report": "#check ol.timeline",
}
STEPS = ("who", "what", "danger", "when", "county", "municipality", "age", "details", "needs",
         "contact")
CODE = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")

# Waits until htmx has finished swapping and settling (a no-op without JavaScript).
_SETTLED = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')
  && document.readyState === 'complete'"""


def selector(state: str) -> str:
    """The CSS selector of a state: a step name, "check", "receipt"...; "<state>:error" too."""
    if state.endswith(":error"):
        return ".error-summary"
    if state in STEPS:
        return f'#step input[name="step"][value="{state}"]'
    return STATE_SELECTORS[state]


def wait_state(page, state: str, js: bool) -> None:
    """Until the page is in that state, loaded, and (with JS) htmx has settled."""
    page.locator(selector(state)).first.wait_for(state="attached")
    if state.endswith(":error"):
        page.locator(selector(state.removesuffix(":error"))).first.wait_for(state="attached")
    page.wait_for_load_state("load")
    if js:
        page.wait_for_function(_SETTLED)


@dataclass
class Answers:
    about: str = "me"
    categories: tuple[str, ...] = ("physical", "bullying")
    in_danger: str = "yes"
    happened: str = "days"
    county: str = "tirane"
    municipality: str = "kamez"
    age_group: str = "13-15"
    details: str = "Më godet çdo ditë. It happens at school too."
    needs: tuple[str, ...] = ("simple",)
    contact: str = "phone"
    phone: str = "069 123 4567"
    email: str = ""


@dataclass
class Walk:
    """What a walk saw: the receipt code, the states in order, the titles."""
    code: str = ""
    states: list[str] = field(default_factory=list)


def visible_code(page) -> str:
    """The receipt code as shown on screen (the visually-hidden sentence left out)."""
    return page.evaluate("""() => Array.from(document.querySelector('#step .code').childNodes)
        .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('').trim()""")


def emergency_card_visible(page) -> bool:
    card = page.locator("#emergency")
    return card.count() == 1 and card.is_visible()


def walk(page, js: bool, answers: Answers | None = None,
         on_state: Callable[[str], None] | None = None, *, start_at_home: bool = False,
         language: str | None = None, switch_language_at: str | None = None,
         with_errors: bool = False, change: bool = False) -> Walk:
    """The whole report journey by mouse, from / or /report to the receipt.

    language: switch to it with the header link on the first page (home or intro).
    switch_language_at: or switch in the middle of the journey, at that step.
    with_errors: Continue on an empty required step first, to see the error state.
    change: on check-your-answers, use a Change button, answer again and come back.
    """
    a = answers or Answers()
    seen = Walk()

    def state(name: str) -> None:
        wait_state(page, name, js)
        seen.states.append(name)
        if on_state:
            on_state(name)

    def switch(code: str) -> None:
        page.locator(f'header a[hreflang="{code}"]').click()
        page.wait_for_function(f"document.documentElement.lang === '{code}'")
        page.wait_for_load_state("load")
        assert page.locator(f'header a[hreflang="{code}"][aria-current="true"]').count() == 1

    def proceed(following: str) -> None:
        page.locator('#step form[action="/report/answer"] button.button').click()
        state(following)

    if start_at_home:
        page.goto("/")
        page.wait_for_load_state("load")
        if language:
            switch(language)
        seen.states.append("home")
        if on_state:
            on_state("home")
        page.locator('main a[href="/report"]').click()
    else:
        page.goto(REPORT)
        if language:
            wait_state(page, "intro", js)
            switch(language)
    state("intro")
    page.locator('#step form[action="/report/start"] button').click()
    state("who")

    def maybe_switch(step: str) -> None:
        if switch_language_at == step:
            switch("en" if page.evaluate("document.documentElement.lang") != "en" else "sq")
            wait_state(page, step, js)
            seen.states.append(f"{step}:language")

    if with_errors:
        page.locator('#step form[action="/report/answer"] button.button').click()
        state("who:error")
    page.check(f'input[name="about"][value="{a.about}"]')
    proceed("what")

    maybe_switch("what")
    for category in a.categories:
        page.check(f'input[name="categories"][value="{category}"]')
    proceed("danger")

    assert not emergency_card_visible(page), "the emergency card shows before any answer"
    page.check(f'input[name="in_danger"][value="{a.in_danger}"]')
    if js and a.in_danger in ("yes", "not_sure"):
        # With JS the emergency numbers appear at once, before Continue.
        page.locator("#emergency").wait_for(state="visible")
        seen.states.append("danger:card")
        if on_state:
            on_state("danger:card")
    proceed("when")
    if a.in_danger in ("yes", "not_sure"):
        assert emergency_card_visible(page), "the emergency card is missing after 'in danger'"

    page.check(f'input[name="happened"][value="{a.happened}"]')
    proceed("county")

    page.select_option("#county", a.county)
    if a.county:
        proceed("municipality")
        page.select_option("#municipality", a.municipality)
    proceed("age")

    page.check(f'input[name="age_group"][value="{a.age_group}"]')
    proceed("details")

    page.fill("#details", a.details)
    proceed("needs")

    for need in a.needs:
        page.check(f'input[name="needs"][value="{need}"]')
    proceed("contact")

    page.check(f'input[name="contact"][value="{a.contact}"]')
    if a.contact == "phone":
        page.fill("#phone", a.phone)
    elif a.contact == "email":
        page.fill("#email", a.email)
    proceed("check")

    if change:
        def when_answer() -> str:
            row = page.locator("#step dl.summary > div", has=page.locator('button[value="when"]'))
            return row.locator("dd").first.inner_text().strip()

        before = when_answer()
        page.locator('#step form[action="/report/change"] button[value="when"]').click()
        state("when")
        assert page.locator(f'input[name="happened"][value="{a.happened}"]').is_checked()
        page.check('input[name="happened"][value="ongoing"]')
        proceed("check")  # straight back to check-your-answers, not on to the next step
        assert when_answer() != before, "the changed answer is not shown"

    page.locator('#step form[action="/report/send"] button.button').click()
    state("receipt")
    seen.code = visible_code(page)
    return seen


def follow_up(page, js: bool, code: str, message: str,
              on_state: Callable[[str], None] | None = None, *, wrong_code: bool = False,
              empty_code: bool = False, from_receipt: bool = True) -> None:
    """/check: enter the code, see the timeline, add information."""

    def state(name: str, report_as: str | None = None) -> None:
        wait_state(page, name, js)
        if on_state:
            on_state(report_as or name)

    if from_receipt:
        page.locator('#step a[href="/check"]').click()
    else:
        page.goto(CHECK)
    state("check:code")

    def submit_code(value: str) -> None:
        page.fill("#code", value)
        page.locator('#check form[action="/check/code"] button.button').click()

    if empty_code:
        submit_code("")
        page.locator("#check .error-summary").wait_for(state="attached")
        state("check:code", "check:empty-code")
    if wrong_code:
        wrong = "0000 0000 0000 0000" if code.replace(" ", "").replace("-", "") != "0" * 16 else "1" * 16
        submit_code(wrong)
        page.locator("#check .error-summary").wait_for(state="attached")
        state("check:code", "check:wrong-code")
    submit_code(code)
    state("check:report")
    assert page.url.endswith(CHECK), page.url
    assert page.locator("#check ol.timeline li").count() >= 1
    assert page.locator("#check ol.timeline li.done").count() >= 1, "no step of the timeline is done"

    page.fill("#message", message)
    page.locator('#check form[action="/check/add"] button.button').click()
    page.locator("#check .messages li", has_text=message).wait_for(state="visible")
    state("check:report", "check:added")


@dataclass
class ConsoleWatch:
    """CSP violations and uncaught script errors reported while a page was in use."""
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [f"CSP: {m}" for m in self.csp] + [f"script error: {m}" for m in self.errors]


def watch_console(page) -> ConsoleWatch:
    watch = ConsoleWatch()

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            watch.csp.append(f"{text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.errors.append(f"{error} ({page.url})"))
    return watch
