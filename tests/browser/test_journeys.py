"""The report journey and the follow-up, end to end, in both languages, with and without JS."""

from __future__ import annotations

import pytest

from tests.browser.wizard import CODE, Answers, follow_up, walk, watch_console

pytestmark = pytest.mark.browser

# (language, JS, how the code is typed on /check, answers)
CASES = [
    pytest.param("sq", True, "{a} {b} {c} {d}",
                 Answers(), id="sq-js"),
    pytest.param("sq", False, "{a}-{b}-{c}-{d}",
                 Answers(about="other_child", in_danger="no", county="", contact="anonymous"),
                 id="sq-nojs"),
    pytest.param("en", True, "{a}{b}{c}{d}",
                 Answers(about="adult", in_danger="not_sure", contact="email",
                         email="someone@example.com"), id="en-js"),
    pytest.param("en", False, " {a} - {b}.{c} {d} ",
                 Answers(in_danger="yes", needs=(), contact="anonymous"), id="en-nojs"),
]


@pytest.mark.parametrize(("language", "js", "typed", "answers"), CASES)
def test_report_and_follow_up(new_page, language, js, typed, answers):
    page = new_page(js=js)
    watch = watch_console(page)  # the real CSP: nothing refused, no script errors
    seen = walk(page, js, answers, start_at_home=True, with_errors=True, change=True,
                switch_language_at="what" if language == "en" else None)

    assert page.evaluate("document.documentElement.lang") == language
    assert page.url.endswith("/report")
    assert CODE.match(seen.code), f"receipt code {seen.code!r} is not 16 digits in 4 groups"
    if answers.in_danger == "yes":  # urgent: the receipt repeats the emergency numbers
        assert page.locator("#emergency").is_visible(), "an urgent report's receipt shows no numbers"

    groups = seen.code.split()
    code = typed.format(a=groups[0], b=groups[1], c=groups[2], d=groups[3])
    message = f"More from the {language}-{'js' if js else 'nojs'} reporter: çfarë ndodhi"
    follow_up(page, js, code, message)
    assert page.evaluate("document.documentElement.lang") == language
    assert not watch.problems(), "\n".join(watch.problems())


def test_receipt_is_shown_once(page):
    """Reloading the receipt never shows the code again (nor a second report)."""
    seen = walk(page, True, Answers(in_danger="no", county="", contact="anonymous"))
    assert CODE.match(seen.code)
    page.reload()
    page.wait_for_load_state("load")
    assert page.locator("#step .code").count() == 0
    assert seen.code not in page.content()


@pytest.mark.parametrize("path", ["/info/no-such-page", "/no-such-page"])
def test_error_pages_speak_the_chosen_language(nojs_page, path):
    page = nojs_page
    page.goto("/")
    page.locator('header a[hreflang="en"]').click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    response = page.goto(path)
    assert response is not None and response.status == 404
    lang = page.evaluate("document.documentElement.lang")
    assert lang == "en", f"{path}: 404 page is in {lang!r} although the reader chose English"
    assert page.locator('header a[hreflang="en"][aria-current="true"]').count() == 1
