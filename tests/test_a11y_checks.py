"""Unit tests of the accessibility page checker (a11y.checks) itself."""

from __future__ import annotations

import time

import pytest

from a11y import assert_page_ok, check_page, is_full_document

QUICK_EXIT = "https://www.google.com/"

HEAD = """<!doctype html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="{viewport}">
  <title>{title}</title>
  <link rel="stylesheet" href="/static/app.3f2a.css">
  <script src="/static/htmx.min.js" defer></script>
</head>
<body>
"""

GOOD_BODY = """
<a class="skip-link" href="#main">Skip to content</a>
<header>
  <a class="quick-exit" href="https://www.google.com/">Leave this site</a>
  <a href="/"><img src="/static/logo.svg" alt="Raporto home"></a>
  <button type="button" aria-label="Open menu" aria-expanded="false" aria-controls="menu">
    <svg aria-hidden="true" focusable="false" viewBox="0 0 10 10"><path d="M0 0h10"/></svg>
  </button>
  <nav id="menu">
    <a href="tel:116111">Call 116 111</a> <a href="mailto:help@example.org">Email</a>
  </nav>
</header>
<main id="main" tabindex="-1">
  <h1>Report <em>something</em> <svg aria-hidden="true"><title>icon</title></svg>
      <span aria-hidden="true">!!</span></h1>
  <svg role="img" aria-labelledby="chart-t"><title id="chart-t">Calls per week</title></svg>
  <svg role="img"><title>Phone</title><path d="M1 1"/></svg>
  <a href="/help"><svg role="img" aria-label="Help"><path d="M0 0"/></svg></a>
  <a href="/call"><svg role="img"><title>Call us</title></svg></a>
  <form action="/report" method="post" novalidate>
    <input type="hidden" name="csrf" value="x">
    <label for="name">Your name</label>
    <input id="name" name="name" type="text" aria-describedby="name-hint" autocomplete="off">
    <p id="name-hint">You can leave this empty.</p>
    <label>Age <select name="age"><option>10</option><option selected>11</option></select></label>
    <fieldset>
      <legend>How do you feel?</legend>
      <label><input type="radio" name="mood" value="ok"> OK</label>
      <input type="radio" id="mood-bad" name="mood" value="bad"><label for="mood-bad">Bad</label>
    </fieldset>
    <span id="msg-label">Message</span>
    <textarea name="msg" aria-labelledby="msg-label"></textarea>
    <input type="search" name="q" aria-label="Search">
    <input type="submit" value="Send">
    <button type="submit" formaction="/report/draft">Save <span aria-hidden="true">✓</span></button>
  </form>
  <img src="/static/divider.png" alt="">
  <picture><source srcset="/a.webp 1x, /a@2x.webp 2x"><img src="/a.png" alt="A"></picture>
  <div tabindex="0">Scrollable</div>
</main>
</body>
</html>
"""


def page(body: str = GOOD_BODY, *, title: str = "Report something – Raporto",
         lang: str = "sq", viewport: str = "width=device-width, initial-scale=1") -> str:
    """Build a full document around a body."""
    return HEAD.format(lang=lang, title=title, viewport=viewport) + body


def body_with(extra: str) -> str:
    """The good body plus an extra snippet just before </main>."""
    return GOOD_BODY.replace("</main>", extra + "\n</main>")


def problems_of(extra: str = "", **kwargs) -> list[str]:
    """Problems of the good page with one extra snippet inserted."""
    return check_page(page(body_with(extra)), allowed_external_links=(QUICK_EXIT,), **kwargs)


def assert_reported(problems: list[str], *fragments: str) -> None:
    """Each fragment occurs in some problem message."""
    for fragment in fragments:
        assert any(fragment in p for p in problems), f"{fragment!r} not in {problems}"


# --- the good page ----------------------------------------------------------------------------

def test_good_page_passes():
    assert check_page(page(), allowed_external_links=(QUICK_EXIT,)) == []
    assert_page_ok(page(), "/report", allowed_external_links=(QUICK_EXIT,))


def test_good_error_page_passes():
    summary = ('<div class="error-summary" role="alert"><h2>There is a problem</h2>'
               '<a href="#name">Enter a name</a></div>')
    body = GOOD_BODY.replace("<h1>", summary + "<h1>")
    for title in ("Error: Report something – Raporto", "Gabim: Report something – Raporto"):
        assert check_page(page(body, title=title), allowed_external_links=(QUICK_EXIT,)) == []


# --- 1. lang ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang_attr", ['lang=""', 'lang="  "', ""])
def test_html_without_lang(lang_attr):
    html = page().replace('lang="sq"', lang_attr)
    assert_reported(check_page(html, allowed_external_links=(QUICK_EXIT,)), "lang attribute")


def test_missing_html_element():
    assert_reported(check_page("<title>x</title><h1>x</h1>"), "<html> element")


# --- 2. exactly one h1 ------------------------------------------------------------------------

def test_two_h1():
    assert_reported(problems_of("<h1>Again</h1>"), "expected exactly one <h1>, found 2")


def test_no_h1():
    html = page(GOOD_BODY.replace("<h1>", "<h2>").replace("</h1>", "</h2>"))
    assert_reported(check_page(html, allowed_external_links=(QUICK_EXIT,)),
                    "expected exactly one <h1>, found 0")


def test_empty_h1():
    html = page(body_with("").replace("<h1>Report <em>something</em>", "<h1>"))
    assert_reported(check_page(html), "<h1> has no text")


# --- 3. title ---------------------------------------------------------------------------------

def test_missing_title():
    html = page().replace("<title>Report something – Raporto</title>", "")
    assert_reported(check_page(html), "<title> is missing or empty")


def test_empty_title():
    assert_reported(check_page(page(title="   ")), "<title> is missing or empty")


def test_two_titles():
    html = page().replace("</head>", "<title>Other</title></head>")
    assert_reported(check_page(html), "expected one <title>, found 2")


def test_title_must_start_with_h1_text():
    problems = check_page(page(title="Raporto – Report something"))
    assert_reported(problems, '<title> "Raporto – Report something" does not start with the '
                              '<h1> text "Report something"')


def test_h1_text_collapses_whitespace_and_skips_hidden_and_svg():
    html = page("<h1>\n  Make   a <strong>re</strong>port\n <span aria-hidden='true'>X</span>"
                "<svg><text>Y</text></svg></h1>", title="Make a report\n – Raporto")
    assert not any("<title>" in p for p in check_page(html))


def test_error_prefix_is_stripped_before_comparing():
    assert not any("<title>" in p for p in check_page(page(title="Error: Report something")))
    assert_reported(check_page(page(title="Error: Something else")), "does not start with the <h1>")


def test_error_summary_requires_error_prefix():
    problems = problems_of('<div class="box error-summary">Fix this</div>')
    assert_reported(problems, "page has an error summary but <title>")


def test_error_summary_class_must_match_a_whole_token():
    assert problems_of('<div class="govuk-error-summary-like">x</div>') == []


def test_custom_error_prefixes():
    html = page(body_with('<div class="error-summary">x</div>'), title="Fehler: Report something")
    assert not any("<title>" in p for p in check_page(html, error_prefixes=("Fehler: ",),
                                                      allowed_external_links=(QUICK_EXIT,)))
    assert_reported(check_page(html), "error summary")


# --- 4. duplicate ids -------------------------------------------------------------------------

def test_duplicate_id():
    assert_reported(problems_of('<p id="name-hint">Again</p>'), 'duplicate id="name-hint"')


# --- 5. accessible names of form controls, references -----------------------------------------

@pytest.mark.parametrize("control", [
    '<input name="email" type="email">',
    '<input name="email">',
    '<select name="email"><option>a</option></select>',
    '<textarea name="email"></textarea>',
    '<input name="email" aria-label="  ">',
    '<input id="email" name="email"><label for="other">Email</label><span id="other"></span>',
])
def test_unlabelled_control(control):
    assert_reported(problems_of(control), "has no accessible name")


@pytest.mark.parametrize("control", [
    '<input id="late" name="late"><label for="late">Late label</label>',
    '<label>Email <span><input name="email" type="email"></span></label>',
    '<input type="checkbox" name="c" aria-label="Agree">',
    '<input type="hidden" name="h"><input type="submit"><input type="reset" value="Reset">',
    '<input type="button" value="Go"><input type="image" src="/go.png" alt="Go">',
])
def test_labelled_or_exempt_control(control):
    assert problems_of(control) == []


def test_aria_labelledby_must_point_to_existing_id():
    problems = problems_of('<input name="x" aria-labelledby="msg-label nowhere">')
    assert_reported(problems, 'aria-labelledby="nowhere" refers to no element with that id')


def test_aria_describedby_must_point_to_existing_id():
    assert_reported(problems_of('<p aria-describedby="ghost">x</p>'),
                    'aria-describedby="ghost" refers to no element with that id')


def test_label_for_must_point_to_existing_id():
    assert_reported(problems_of('<label for="ghost">Ghost</label>'), 'label for="ghost"')


# --- 6. forms ---------------------------------------------------------------------------------

def test_form_without_action():
    assert_reported(problems_of('<form method="post"></form>'), "has no action attribute")


def test_form_without_method():
    assert_reported(problems_of('<form action="/x"></form>'), "has no method attribute")


# --- 7. inline script and style ---------------------------------------------------------------

def test_inline_script():
    assert_reported(problems_of("<script>alert(1)</script>"), "inline <script> without src")


def test_json_ld_script_is_inline_script():
    assert_reported(problems_of('<script type="application/ld+json">{}</script>'),
                    "inline <script> without src")


def test_script_with_src_and_body():
    assert_reported(problems_of('<script src="/a.js">alert(1)</script>'),
                    "<script src> with an inline body")


@pytest.mark.parametrize("attr", ["onclick", "onload", "ONMOUSEOVER", "hx-on:click",
                                  "hx-on::after-request"])
def test_event_handler_attribute(attr):
    assert_reported(problems_of(f'<div {attr}="go()">x</div>'),
                    f"inline event handler {attr.lower()}=")


def test_style_attribute():
    assert_reported(problems_of('<p style="color:red">x</p>'), "inline style attribute")


def test_style_element():
    assert_reported(problems_of("<style>p{}</style>"), "<style> element")


# --- 8. external URLs -------------------------------------------------------------------------

@pytest.mark.parametrize("snippet, where", [
    ('<script src="https://cdn.example.com/x.js"></script>', "in src= on <script>"),
    ('<img src="http://example.com/a.png" alt="">', "in src= on <img>"),
    ('<img src="//example.com/a.png" alt="">', "in src= on <img>"),
    ('<img src="/\\example.com/a.png" alt="">', "in src= on <img>"),
    ('<img src=" HTTPS://example.com/a.png" alt="">', "in src= on <img>"),
    ('<img src="/a.png" srcset="/a.png 1x, https://example.com/b.png 2x" alt="">',
     "in srcset= on <img>"),
    ('<iframe src="https://example.com/" title="x"></iframe>', "in src= on <iframe>"),
    ('<form action="https://example.com/collect" method="post"></form>', "in action= on <form>"),
    ('<button formaction="https://example.com/" type="submit">Go</button>',
     "in formaction= on <button>"),
    ('<video poster="https://example.com/p.jpg"></video>', "in poster= on <video>"),
    ('<object data="https://example.com/x.pdf"></object>', "in data= on <object>"),
    ('<svg aria-hidden="true"><use xlink:href="https://example.com/s.svg#i"></use></svg>',
     "in xlink:href= on <use>"),
    ('<a href="https://example.com/">Elsewhere</a>', "in href= on <a>"),
    ('<a href="/x" ping="https://tracker.example.com/">x</a>', "in ping= on <a>"),
])
def test_external_url(snippet, where):
    assert_reported(problems_of(snippet), "external URL", where)


def test_allow_list_covers_only_a_href():
    snippet = (f'<link rel="prefetch" href="{QUICK_EXIT}"><img src="{QUICK_EXIT}" alt="">'
               f'<form action="{QUICK_EXIT}" method="get"></form>')
    problems = problems_of(snippet)
    for where in ("in href= on <link>", "in src= on <img>", "in action= on <form>"):
        assert_reported(problems, where)


def test_quick_exit_link_needs_the_allow_list():
    assert_reported(check_page(page()), f'external URL "{QUICK_EXIT}" in href= on <a>')


@pytest.mark.parametrize("url", ["javascript:void(0)", " JavaScript:alert(1)", "java\tscript:x()"])
def test_javascript_url(url):
    assert_reported(problems_of(f'<a href="{url}">Do it</a>'), "javascript: URL in href= on <a>")


def test_local_and_contact_urls_are_fine():
    assert problems_of('<a href="sms:116111">Text us</a><a href="?lang=en">English</a>'
                       '<a href="../help#top">Help</a>'
                       '<img src="data:image/gif;base64,R0lG" alt="">') == []


# --- 9. images and svg ------------------------------------------------------------------------

def test_img_without_alt():
    assert_reported(problems_of('<img src="/x.png">'), 'img src="/x.png"', "has no alt attribute")


def test_input_image_without_alt():
    assert_reported(problems_of('<input type="image" src="/go.png">'), "has no alt attribute")


def test_svg_without_role_img():
    problems = problems_of('<svg aria-label="Chart"></svg>')
    assert_reported(problems, 'needs role="img"')
    assert not any("has no accessible name" in p for p in problems)


def test_svg_without_name():
    problems = problems_of('<svg role="img"><g><title>Not a child</title></g></svg>')
    assert_reported(problems, '<svg> without aria-hidden="true" has no accessible name')


def test_svg_with_empty_title():
    assert_reported(problems_of('<svg role="img"><title> </title></svg>'), "has no accessible name")


def test_self_closing_svg_is_checked():
    assert_reported(problems_of('<svg/>'), 'needs role="img"', "has no accessible name")


def test_hidden_svg_needs_nothing():
    assert problems_of('<span aria-hidden="true"><svg></svg></span><svg aria-hidden="TRUE"/>') == []


# --- 10. links and buttons --------------------------------------------------------------------

def test_link_without_href():
    assert_reported(problems_of("<a>Nowhere</a>"), "<a> has no href")


@pytest.mark.parametrize("link", [
    '<a href="/x"></a>',
    '<a href="/x">  </a>',
    '<a href="/x"><img src="/i.png" alt=""></a>',
    '<a href="/x"><svg aria-hidden="true"><title>Hidden</title></svg></a>',
    '<a href="/x"><span aria-hidden="true">→</span></a>',
    '<a href="/x" aria-label=" "></a>',
])
def test_link_without_text(link):
    assert_reported(problems_of(link), 'href="/x"', "has no accessible text")


@pytest.mark.parametrize("link", [
    '<a href="/x" aria-label="Next page">→</a>',
    '<a href="/x"><img src="/i.png" alt="Next page"></a>',
    '<a href="/x">Next <span aria-hidden="true">→</span></a>',
])
def test_link_with_text(link):
    assert problems_of(link) == []


def test_button_without_text():
    problems = problems_of('<button type="button"><svg aria-hidden="true"></svg></button>')
    assert_reported(problems, '<button type="button"> has no accessible text')


def test_button_named_by_aria_label_or_text():
    assert problems_of('<button type="button" aria-label="Close">×</button>'
                       '<button type="submit">Send</button>') == []


# --- 11. tabindex -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1", " 5", "2.5"])
def test_positive_tabindex(value):
    assert_reported(problems_of(f'<div tabindex="{value}">x</div>'), f'positive tabindex="{value}"')


def test_zero_negative_and_junk_tabindex_are_fine():
    assert problems_of('<div tabindex="0">a</div><div tabindex="-1">b</div>'
                       '<div tabindex="0.5">c</div><div tabindex="x">d</div>') == []


# --- 12. fieldset -----------------------------------------------------------------------------

@pytest.mark.parametrize("fieldset", [
    "<fieldset><label>A <input name='a'></label></fieldset>",
    "<fieldset><div><legend>Too deep</legend></div></fieldset>",
    "<fieldset><p>Intro</p><legend>Late</legend></fieldset>",
    "<fieldset></fieldset>",
])
def test_fieldset_without_leading_legend(fieldset):
    assert_reported(problems_of(fieldset), "<fieldset> does not start with a <legend>")


def test_fieldset_text_before_legend_is_fine():
    assert problems_of("<fieldset>\n  <legend>Choose</legend></fieldset>") == []


# --- 13. nested interactive elements ----------------------------------------------------------

@pytest.mark.parametrize("snippet", [
    '<a href="/x">Go <button type="button">now</button></a>',
    '<button type="button">Go <a href="/x">now</a></button>',
    '<a href="/x">Go <span><a href="/y">now</a></span></a>',
])
def test_nested_interactive(snippet):
    assert_reported(problems_of(snippet), "is nested inside another link or button")


# --- 14. viewport -----------------------------------------------------------------------------

def test_missing_viewport():
    html = page().replace('<meta name="viewport"', '<meta name="description"')
    assert_reported(check_page(html), 'no <meta name="viewport">')


@pytest.mark.parametrize("content, message", [
    ("width=device-width, user-scalable=no", "user-scalable=no"),
    ("width=device-width; user-scalable = 0", "user-scalable=0"),
    ("width=device-width, maximum-scale=1", "maximum-scale=1 < 2"),
    ("width=device-width, maximum-scale=1.5", "maximum-scale=1.5 < 2"),
])
def test_viewport_blocking_zoom(content, message):
    assert_reported(check_page(page(viewport=content)), message)


def test_viewport_allowing_zoom():
    html = page(viewport="width=device-width, initial-scale=1, maximum-scale=5, user-scalable=yes")
    assert check_page(html, allowed_external_links=(QUICK_EXIT,)) == []


# --- API, robustness, speed -------------------------------------------------------------------

def test_problems_carry_line_numbers():
    html = page(body_with('<img src="/x.png">'))
    line = html.splitlines().index('<img src="/x.png">') + 1
    assert_reported(check_page(html), f'line {line}: <img src="/x.png"> has no alt attribute')


def test_assert_page_ok_lists_every_problem_and_the_url():
    with pytest.raises(AssertionError) as info:
        assert_page_ok(page(body_with('<img src="/x.png"><p style="x">y</p>')), "/report?step=2")
    message = str(info.value)
    assert "/report?step=2" in message
    assert "has no alt attribute" in message and "inline style attribute" in message
    assert "external URL" in message  # quick exit not allow-listed in this call


@pytest.mark.parametrize("junk", [
    "", "   ", "<", "<<<>>>", "</h1></a></button>", "<![foo[bar]]>", "<!doctype", "<!--",
    "<a href", "<svg><title>", "<h1><h1><h1>", "\x00\ud800\uffff", "<input id>", "<p id=x id=x>",
    "<meta name=viewport content>", "<div tabindex=99999999999999999999999999999999999999>",
    "<meta name=viewport content='maximum-scale=1e999'>", "&#99999999999;&bogus;", "<script>",
])
def test_never_crashes(junk):
    assert isinstance(check_page(junk), list)
    assert isinstance(check_page(page(body_with(junk))), list)


def test_accepts_bytes():
    assert check_page(page().encode(), allowed_external_links=(QUICK_EXIT,)) == []


def test_never_crashes_on_arbitrary_text():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    alphabet = st.sampled_from(list("<>/=\"' !-[]&#;:abhinpstv1") + ["<a ", "<svg", "<h1>",
                                "</a>", "<title>", "aria-hidden=true", "<input ", "<fieldset>"])

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.lists(alphabet, max_size=60).map("".join))
    def run(text):
        assert isinstance(check_page(text), list)

    run()


def test_fast_on_a_large_page():
    rows = "".join(f'<tr><td id="r{i}"><a href="/case/{i}">Case {i}</a></td>'
                   f'<td><label for="c{i}">Done</label><input id="c{i}" type="checkbox"></td></tr>'
                   for i in range(3000))
    html = page(body_with(f"<table>{rows}</table>"))
    start = time.perf_counter()
    problems = check_page(html, allowed_external_links=(QUICK_EXIT,))
    assert problems == []
    assert time.perf_counter() - start < 2.0


def test_deeply_unclosed_markup_stays_fast():
    start = time.perf_counter()
    check_page(page("<a href='/x'>" + "<p>text " * 5000))
    assert time.perf_counter() - start < 2.0


def test_is_full_document():
    assert is_full_document(page())
    assert is_full_document("\n<html lang='sq'><body></body></html>")
    assert not is_full_document('<div id="results"><p>3 results</p></div>')
