"""Property tests: no input gives a 500, and nothing a child typed is lost.

Hypothesis throws arbitrary input at the report wizard and the follow-up journey on SQLite and on
PostgreSQL (`client` runs each test on both): unicode with control characters, NUL bytes, lone
surrogates (sent as the invalid UTF-8 a broken client would send), bidi marks and emoji; strings up
to ~70 KB (over the 64 KiB body limit); arbitrary, repeated and missing fields; wrong `step`
values; JSON, garbage bytes and file parts; with and without the htmx headers.

Every page these clients fetch is also checked by a11y/checks.py (conftest's response hook).

The bugs these properties found are pinned by plain regression tests at the end of this module.
An app bug found later gets a strict-xfail test there, with the bug in its reason; where it would
make a property fail at random, the property skips only that input class, through a predicate
named after the xfail test, until the fix turns the xfail into XPASS(strict).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

import vocabulary as v
from config import get_settings
from db.tables import Draft, FollowupSession, ReportEvent
from forms import _clean
from forms import report as wizard
from forms.followup import normalise_code
from services._db import keyed_hash
from tests import dbutil, journey

LIMIT = 64 * 1024  # app.py: request_max_body_size
LANGUAGES = ("sq", "en")
PROFILE = get_settings().profile
BOUNDARY = "raporto-hypothesis-6c1f0b"
CHOICE_FIELDS = ("about", "categories", "in_danger", "happened", "county", "municipality",
                 "age_group", "needs", "contact")
TEXT_FIELDS = ("details", "needs_other", "phone", "email", "code", "message", "pending")
FIELD_NAMES = ("step", "_csrf_token", "idempotency_key", "returning", *CHOICE_FIELDS, *TEXT_FIELDS)
# The answers each step may change; every other answer must survive it untouched.
TOUCHES = {
    "who": {"about"}, "what": {"categories"}, "danger": {"in_danger"}, "when": {"happened"},
    "county": {"county", "municipality"}, "municipality": {"municipality"}, "age": {"age_group"},
    "details": {"details"}, "needs": {"needs", "needs_other"},
    "contact": {"contact", "phone", "email"},
}
REPORT_POSTS = ("/report/start", "/report/answer", "/report/back", "/report/change", "/report/send")
CHECK_POSTS = ("/check/code", "/check/add", "/check/close")
HX_HEADERS = (
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "step", "HX-Current-URL": "http://testserver.local/report"},
    {"HX-Request": "true", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    {"HX-Request": "false"},
)

HTTP = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example],
                max_examples=50, deadline=None)
PURE = settings(max_examples=300, deadline=None)


# --- strategies ----------------------------------------------------------------------------------

NASTY = (
    "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\x9f", "\r\n", "\r", "\n",
    "\t", "   ", "\u00a0", "\u2028", "\u2029", "\u200b", "\u200d", "\u200e", "\u200f", "\u202a",
    "\u202e", "\u2066", "\u2069", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\ud800", "\udbff\udfff",
    "\udfff", "\U0001F600", "\U0001F469\u200d\U0001F467", "\U0001F1E6\U0001F1F1", "e\u0301",
    "A\u030a", "\u00eb", "\u00e7", "\u00c7", "Më godet çdo ditë.", "\u0645\u0631\u062d\u0628\u0627",
    "\u05e9\u05dc\u05d5\u05dd", "\u0661\u0662\u0663", "\uff11\uff12", "\U0001d7d9", "&amp;", "&#0;",
    "<script>alert(1)</script>", "\"'><!--", "</textarea>", "{{ 7*7 }}", "{% raw %}", "%(phone)s",
    "%s", "' OR '1'='1", "--", "@", "069 123 4567", "name@example.com",
)
_chars = st.characters(exclude_categories=())  # surrogates included
short_text = st.lists(st.one_of(st.text(_chars, max_size=12), st.sampled_from(NASTY)),
                      max_size=6).map("".join)
LENGTHS = (499, 500, 501, 999, 1000, 1001, 4999, 5000, 5001, 9999, 10000, 10001, 20000, 40000,
           65000, 65536, 66000, 70000)
long_text = st.builds(lambda chunk, n: (chunk * (n // len(chunk) + 1))[:n],
                      short_text.filter(bool),
                      st.one_of(st.sampled_from(LENGTHS), st.integers(1, 72_000)))
text = st.one_of(short_text, short_text, short_text, long_text)
phone_like = st.lists(
    st.tuples(st.sampled_from("0123456789+"), st.text(st.sampled_from(" -().\t"), max_size=3)),
    min_size=6, max_size=18).map(lambda parts: "".join(d + s for d, s in parts))
code_like = st.lists(st.tuples(st.sampled_from("0123456789"), st.sampled_from(["", "", " ", "-"])),
                     min_size=14, max_size=18).map(lambda parts: "".join(d + s for d, s in parts))


def _ids(*choices) -> list[str]:
    return sorted({c.id for group in choices for c in group})


VALID = {
    "about": _ids(v.ABOUT), "categories": _ids(v.CATEGORIES), "in_danger": _ids(v.DANGER),
    "happened": _ids(v.WHEN), "age_group": _ids(v.AGE_GROUPS), "needs": _ids(v.NEEDS),
    "contact": _ids(v.CONTACT), "county": ["", *(c.id for c in PROFILE.counties)],
    "municipality": ["", *(m.id for c in PROFILE.counties for m in c.municipalities)],
    "step": [*wizard.STEPS, "", "intro", "receipt", "STEP", "who ", "../check"],
    "returning": ["1", "true", ""],
}


def value_for(name: str) -> st.SearchStrategy[str]:
    if name == "phone":
        return st.one_of(text, phone_like)
    if name == "code":
        return st.one_of(text, code_like)
    if name in VALID:
        return st.one_of(st.sampled_from(VALID[name]), st.sampled_from(VALID[name]), text)
    return text


field = st.one_of(
    st.sampled_from(FIELD_NAMES).flatmap(lambda n: st.tuples(st.just(n), value_for(n))),
    st.tuples(st.one_of(st.text(_chars, max_size=15), st.sampled_from(NASTY)), short_text),
)
fields = st.lists(field, max_size=10)  # arbitrary, repeated and missing fields
encodings = st.sampled_from(["urlencoded", "urlencoded", "multipart", "multipart+file"])
hx_headers = st.sampled_from(HX_HEADERS)
languages = st.sampled_from(LANGUAGES)


# --- helpers -------------------------------------------------------------------------------------


db = dbutil.run  # a Piccolo query on the active engine, on a fresh connection


def draft_answers(client) -> dict | None:
    token = client.cookies.get("rp_draft")
    if not token:
        return None
    row = db(Draft.select(Draft.answers)
             .where(Draft.token_hash == keyed_hash("draft", token)).first())
    return json.loads(row["answers"]) if row else None


def _mp_name(name: str) -> bytes:
    """A field name as a browser writes it into Content-Disposition (HTML's multipart rules)."""
    return (name.encode("utf-8", "replace").replace(b'"', b"%22").replace(b"\r", b"%0D")
            .replace(b"\n", b"%0A"))


def encode(pairs, encoding: str) -> tuple[bytes, str]:
    """The body and content type. Lone surrogates go out as the (invalid) UTF-8 bytes a broken
    client would send: percent-encoded in a urlencoded body (the server decodes them as U+FFFD),
    raw in a multipart text part (the whole form is then unreadable: a 400)."""
    if encoding == "urlencoded":
        body = "&".join(f"{quote_plus(k.encode('utf-8', 'surrogatepass'))}="
                        f"{quote_plus(val.encode('utf-8', 'surrogatepass'))}" for k, val in pairs)
        return body.encode("ascii"), "application/x-www-form-urlencoded"
    out = bytearray()
    for k, val in pairs:
        out += (b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="'
                + _mp_name(k) + b'"\r\n\r\n' + val.encode("utf-8", "surrogatepass") + b"\r\n")
    if encoding == "multipart+file":
        out += (b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="details"; '
                b'filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
                b"\x00\xff\xfe garbage \x89PNG\r\n")
    out += b"--" + BOUNDARY.encode() + b"--\r\n"
    return bytes(out), f"multipart/form-data; boundary={BOUNDARY}"


def received(pairs, encoding: str) -> list[tuple[str, str]]:
    """What the server decodes from `encode(pairs, encoding)` (when it can read the form)."""
    def utf8(text: str) -> str:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")

    if encoding == "urlencoded":
        return [(utf8(k), utf8(val)) for k, val in pairs]
    return [(_mp_name(k).decode("utf-8"), utf8(val)) for k, val in pairs]


def unreadable(pairs, encoding: str) -> bool:
    """A multipart form with a text part that is not UTF-8: the server must refuse it (400)."""
    return encoding != "urlencoded" and any(re.search("[\ud800-\udfff]", val) for _, val in pairs)


def first(pairs, name: str) -> str:
    return next((val for k, val in pairs if k == name), "")


def every(pairs, name: str) -> list[str]:
    return [val for k, val in pairs if k == name]


def csrf_token(client) -> str:
    """The client's CSRF token (stable for its rp_csrf cookie), fetched once."""
    if getattr(client, "_csrf_token", None) is None:
        client._csrf_token = journey.csrf(client.get("/report").text)
    return client._csrf_token


def language(client) -> str:
    chosen = [c.value for c in client.cookies.jar if c.name == "rp_lang"]
    return chosen[-1] if chosen and chosen[-1] in LANGUAGES else PROFILE.default_language


def set_language(client, lang: str) -> None:
    if language(client) != lang:
        assert client.get(f"/language/{lang}?next=/", follow_redirects=False).status_code == 303


def is_fragment(headers: dict) -> bool:
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def check_response(response, headers: dict, lang: str) -> None:
    """What every answer must satisfy, whatever was sent."""
    status = response.status_code
    event(f"{response.request.method} {status}{' fragment' if is_fragment(headers) else ''}")
    assert status < 500, (status, response.text[:2000])
    assert response.headers.get("cache-control")
    if status == 204:  # no document: only no-store (an idle chat poll stays ~90 bytes)
        assert response.content == b""
        return
    assert "default-src 'none'" in response.headers.get("content-security-policy", "")
    assert response.headers.get("x-content-type-options") == "nosniff"
    if response.request.method == "HEAD" or not 400 <= status < 500:
        return
    body = response.text
    assert "text/html" in response.headers.get("content-type", ""), response.headers
    if is_fragment(headers):
        assert "<html" not in body.lower(), body[:300]
        assert "<title>" in body, body[:300]
        if status not in (422, 429):  # an error page, not a form shown again with its errors
            assert response.headers.get("hx-retarget") == "#main", dict(response.headers)
    else:
        assert body.lstrip().lower().startswith("<!doctype html"), body[:300]
        shown = re.search(r'<html lang="([^"]*)"', body).group(1)
        assert shown == lang, (status, response.request.url)


def shown_input(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def shown_textarea(page: str, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def post(client, path: str, pairs, encoding: str, headers: dict):
    body, content_type = encode(pairs, encoding)
    return client.post(path, content=body, follow_redirects=False,
                       headers={"content-type": content_type, **headers}), body


def fresh_draft(client, token: str, answered: int) -> None:
    """A new draft with the first `answered` questions answered, as a browser without JS would."""
    client.cookies.delete("rp_draft")
    assert client.post("/report/start", data={"_csrf_token": token},
                       follow_redirects=False).status_code == 303
    for step, values in journey.ANSWERS[:answered]:
        response = client.post("/report/answer", follow_redirects=False,
                               data={"_csrf_token": token, "step": step, **values})
        assert response.status_code == 303, (step, response.text[:500])


# Short one-line fields whose refused text the app shows again cut to this length
# (forms/report._validate_contact, routes/followup.enter_code). Free text is never cut.
REDISPLAY_CAP = {"phone": 200, "email": 400, "code": 100}


def assert_shown_again(shown: str | None, typed: str, field: str) -> None:
    """Nothing lost: what was typed comes back, as the app normalised it (for a short field
    longer than its cap, at least that much of its start)."""
    assert shown is not None, f"{field} is not shown again"
    if shown != typed:
        assert field in REDISPLAY_CAP, (field, len(typed), len(shown), typed[:80], shown[:80])
        assert len(shown) >= REDISPLAY_CAP[field] and typed.startswith(shown), (
            field, len(typed), len(shown), typed[:80], shown[:80])


# --- the report wizard ---------------------------------------------------------------------------


@HTTP
@given(answered=st.integers(0, len(journey.ANSWERS)), pairs=fields, encoding=encodings,
       headers=hx_headers, lang=languages)
@example(answered=10, pairs=[("step", "junk")], encoding="urlencoded", headers={}, lang="sq")
@example(answered=7, pairs=[("step", "details"), ("details", "a\x00b" * 4000)],
         encoding="urlencoded", headers={"HX-Request": "true"}, lang="en")
@example(answered=3, pairs=[("step", "when"), ("happened", "x" * 70_000)], encoding="multipart",
         headers={}, lang="sq")
def test_any_answer_is_safe_and_the_draft_survives(client, answered, pairs, encoding, headers,
                                                   lang):
    token = csrf_token(client)
    set_language(client, lang)
    fresh_draft(client, token, answered)
    pairs = [("_csrf_token", token), *pairs]
    before = draft_answers(client)
    before_h1 = journey.h1(client.get("/report").text)

    response, body = post(client, "/report/answer", pairs, encoding, headers)
    status = response.status_code
    got = received(pairs, encoding)
    note(f"status {status}, body {len(body)} bytes, before {before}")
    check_response(response, headers, lang)
    assert (status == 413) == (len(body) > LIMIT), (status, len(body))
    if status != 413:
        assert (status == 400) == unreadable(pairs, encoding), status

    after = draft_answers(client)
    assert after is not None, "the draft was lost"
    if status >= 400:  # junk: nothing changed, and the page still shows the same question
        assert after == before
        assert journey.h1(client.get("/report").text) == before_h1
    posted = first(got, "step")
    step = posted if posted in wizard.STEPS and posted != "check" else before["step"]
    if status == 422:
        page = response.text
        if step == "details":
            assert_shown_again(shown_textarea(page, "details"),
                               _clean.text(first(got, "details"), multiline=True), "details")
        if step == "needs":
            assert_shown_again(shown_input(page, "needs_other"),
                               _clean.text(first(got, "needs_other")), "needs_other")
        if step == "contact":
            for name, valid in (("phone", wizard.phone_number), ("email", wizard.email_address)):
                typed = first(got, name)
                # A valid number or address may come back normalised; anything else as typed.
                assert_shown_again(shown_input(page, name), valid(typed) or _clean.text(typed),
                                   name)
    if after == before:
        return

    # Accepted: every other answer survives, and what was typed is kept as normalised.
    assert status in (200, 303), status
    assert after["step"] in wizard.STEPS
    for key in set(before) | set(after):
        if key not in TOUCHES[step] | {"step", "returning"}:
            assert after.get(key) == before.get(key), key
    if step == "details":
        assert after["details"] == _clean.text(first(got, "details"), multiline=True)
    if step == "needs":
        assert after["needs_other"] == _clean.text(first(got, "needs_other"))
        assert set(after["needs"]) >= set(every(got, "needs")) & set(VALID["needs"])
    if step == "contact":
        typed = {"phone": wizard.phone_number(first(got, "phone")),
                 "email": wizard.email_address(first(got, "email"))}.get(after["contact"])
        assert wizard.contact_value(after) == (typed or "")
    for name in ("about", "in_danger", "happened", "age_group", "contact"):
        if name in TOUCHES[step]:
            assert after[name] == first(got, name)
    if step == "what":
        chosen = set(every(got, "categories"))
        assert after["categories"] == [c.id for c in v.CATEGORIES if c.id in chosen]


@HTTP
@given(pairs=fields, encoding=encodings, headers=hx_headers, lang=languages,
       content=st.one_of(
           st.builds(json.dumps, st.dictionaries(st.text(max_size=10), st.text(max_size=50))),
           st.binary(max_size=2000),
           st.builds(lambda chunk, n: (chunk * (n // len(chunk) + 1))[:n],
                     st.binary(min_size=1, max_size=50), st.integers(LIMIT - 10, LIMIT + 10)),
           st.none()),
       content_type=st.one_of(
           st.sampled_from(["application/json", "text/plain", "application/octet-stream", "",
                            "multipart/form-data", "multipart/form-data; boundary=",
                            'multipart/form-data; boundary="b"', "multipart/mixed; boundary=b",
                            "application/x-www-form-urlencoded; charset=utf-16",
                            "application/x-www-form-urlencoded;;;", "text/html; charset=bogus"]),
           st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)),
       token_in_header=st.booleans(),
       path=st.sampled_from([*REPORT_POSTS, *CHECK_POSTS, "/exit/forget"]))
@example(pairs=[], encoding="urlencoded", headers={}, lang="sq", content=b'{"step": "who"}',
         content_type="application/json", token_in_header=True, path="/report/answer")
def test_wrong_content_types_are_never_a_500(client, pairs, encoding, headers, lang, content,
                                             content_type, token_in_header, path):
    """JSON, garbage bytes and odd content types; `content=None` sends a real form (a file part
    included) under a wrong or odd content type."""
    token = csrf_token(client)
    set_language(client, lang)
    if client.cookies.get("rp_draft") is None:
        fresh_draft(client, token, 4)
    before = draft_answers(client)
    body = content if content is not None else encode(pairs, encoding)[0]
    sent = {"content-type": content_type, **headers}
    if token_in_header:
        sent["x-csrftoken"] = token
    response = client.post(path, content=body, headers=sent, follow_redirects=False)
    check_response(response, headers, lang)
    if response.status_code == 413:
        assert len(body) > LIMIT
    if token_in_header and len(body) <= LIMIT:
        assert response.status_code != 403, "a valid token in the header was refused"
    if response.status_code >= 400:
        assert draft_answers(client) == before


# --- everything else a visitor can reach ---------------------------------------------------------

path_text = st.text(_chars, max_size=30).map(lambda s: quote(s.encode("utf-8", "surrogatepass"),
                                                              safe="/:@!$&'()*+,;="))
requests_ = st.one_of(
    st.tuples(st.just("POST"), st.sampled_from([*REPORT_POSTS, *CHECK_POSTS, "/exit/forget"])),
    st.tuples(st.just("GET"), st.sampled_from(["/", "/report", "/check", "/exit"])),
    st.builds(lambda code, nxt: ("GET", f"/language/{code}?next={nxt}"),
              st.one_of(st.sampled_from(LANGUAGES), path_text), path_text),
    st.builds(lambda slug: ("GET", f"/info/{slug}"),
              st.one_of(st.sampled_from(["what-happens", "staying-safe-online"]), path_text)),
    st.tuples(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
              path_text.map(lambda p: "/" + p.lstrip("/"))),
)


@HTTP
@given(target=requests_, pairs=fields, encoding=encodings, headers=hx_headers, lang=languages,
       csrf=st.sampled_from(["valid", "valid", "none", "forged"]), answered=st.integers(0, 10))
@example(target=("POST", "/report/answer"), pairs=[("step", "junk")], encoding="urlencoded",
         headers={"HX-Request": "true"}, lang="en", csrf="forged", answered=3)
@example(target=("GET", "/language/en?next=//evil.example"), pairs=[], encoding="urlencoded",
         headers={}, lang="sq", csrf="none", answered=0)
def test_any_request_is_safe_and_the_draft_survives_errors(client, target, pairs, encoding,
                                                           headers, lang, csrf, answered):
    method, path = target
    token = csrf_token(client)
    set_language(client, lang)
    if client.cookies.get("rp_draft") is None or answered == 0:
        fresh_draft(client, token, answered)
    before = draft_answers(client)
    if csrf != "none":
        pairs = [("_csrf_token", token if csrf == "valid" else "f" * len(token)), *pairs]
    body, content_type = encode(pairs, encoding)
    send_body = method not in ("GET", "HEAD", "OPTIONS")
    response = client.request(method, path, content=body if send_body else None,
                              headers={**({"content-type": content_type} if send_body else {}),
                                       **headers}, follow_redirects=False)
    check_response(response, headers, lang)
    if response.status_code in (301, 302, 303, 307, 308) and path.startswith("/language/"):
        assert response.headers["location"].startswith("/")
        assert not response.headers["location"].startswith(("//", "/\\"))
    if response.status_code >= 400:
        assert draft_answers(client) == before


# --- coming back with the receipt code -----------------------------------------------------------


@pytest.fixture
def reported(client):
    """A sent report and an open follow-up session on this client: (receipt code, report id)."""
    code = journey.report(client)
    response, _ = journey.open_check(client, code)
    assert response.status_code == 200 and journey.h1(response.text) != ""
    token = client.cookies.get("rp_check")
    row = db(FollowupSession.select(FollowupSession.report)
             .where(FollowupSession.token_hash == keyed_hash("followup", token)).first())
    return code, row["report"]


@HTTP
@given(path=st.sampled_from(CHECK_POSTS), pairs=fields, encoding=encodings, headers=hx_headers,
       lang=languages, reopen=st.booleans())
@example(path="/check/add", pairs=[("message", "\x00\u202eHi 👋\r\nthere\x1b")],
         encoding="urlencoded", headers={"HX-Request": "true"}, lang="sq", reopen=False)
@example(path="/check/add", pairs=[("message", "y" * 6000)], encoding="multipart", headers={},
         lang="en", reopen=False)
@example(path="/check/code", pairs=[("code", "12ab"), ("pending", "Më ndihmoni\x00")],
         encoding="urlencoded", headers={}, lang="sq", reopen=False)
def test_follow_up_is_safe_and_keeps_what_was_typed(client, reported, path, pairs, encoding,
                                                    headers, lang, reopen):
    code, report_id = reported
    token = csrf_token(client)
    set_language(client, lang)
    if reopen and client.cookies.get("rp_check") is None:
        # Only occasionally: each code costs an Argon2id hash, and 5 tries per browser are allowed.
        client.post("/check/code", data={"_csrf_token": token, "code": code},
                    follow_redirects=False)
    session_open = client.cookies.get("rp_check") is not None
    events = db(ReportEvent.count().where(ReportEvent.report == report_id))
    pairs = [("_csrf_token", token), *pairs]
    response, body = post(client, path, pairs, encoding, headers)
    status = response.status_code
    got = received(pairs, encoding)
    check_response(response, headers, lang)
    assert (status == 413) == (len(body) > LIMIT), (status, len(body))
    if status != 413:
        assert (status == 400) == unreadable(pairs, encoding), status
    readable = status not in (400, 413)
    added = db(ReportEvent.count().where(ReportEvent.report == report_id)) - events
    message = _clean.text(first(got, "message"), multiline=True)

    if path == "/check/add" and session_open and readable:
        if message and len(message) <= wizard.MAX_DETAILS:
            assert status in (200, 303) and added == 1
            last = db(ReportEvent.select(ReportEvent.body).where(ReportEvent.report == report_id)
                      .order_by(ReportEvent.id, ascending=False).first())
            assert last["body"] == message  # stored exactly as normalised
        else:
            assert status == 422 and added == 0
            assert_shown_again(shown_textarea(response.text, "message"), message, "message")
    elif path == "/check/add" and readable:
        # Signed out: the message is kept in the code form, to be added once the code is entered.
        assert status == 200 and added == 0
        typed = first(got, "message")
        if typed:
            assert_shown_again(shown_input(response.text, "pending"), typed, "pending")
    elif path == "/check/code" and status in (422, 429):
        assert added == 0
        assert_shown_again(shown_input(response.text, "code"), first(got, "code"), "code")
        pending = first(got, "pending")
        if pending:
            assert_shown_again(shown_input(response.text, "pending"), pending, "pending")
    else:
        assert added in (0, 1)


# --- pure functions ------------------------------------------------------------------------------

SEPARATORS = " -"
_separators = st.text(st.sampled_from(SEPARATORS), max_size=3)


@PURE
@given(digits=st.text(st.sampled_from("0123456789"), min_size=16, max_size=16),
       gaps=st.lists(_separators, min_size=17, max_size=17))
def test_normalise_code_accepts_16_digits_with_any_spaces_and_dashes(digits, gaps):
    raw = "".join(g + d for g, d in zip(gaps, digits, strict=False)) + gaps[-1]
    assert normalise_code(raw) == digits


def _is_code(raw: str) -> bool:
    """The specification: 16 ASCII digits, with any spaces or dashes (the app also takes tabs,
    dots and en/em dashes as separators) and nothing else."""
    kept = [ch for ch in raw if ch not in " \t-\u2013\u2014."]
    return len(kept) == 16 and all(ch in "0123456789" for ch in kept)


@PURE
@given(raw=st.one_of(
    st.text(_chars),
    st.text(st.sampled_from("0123456789 -\t.\u2013\u2014x٣１𝟙\u00a0+"), max_size=40),
    code_like,
    code_like.map(lambda c: c + "0"), code_like.map(lambda c: c[:-1]),
    st.builds(lambda c, junk, at: c[:at] + junk + c[at:], code_like, st.text(_chars, min_size=1,
              max_size=3), st.integers(0, 20))))
@example(raw="١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦")  # Arabic-Indic digits: isdigit() but not ASCII
@example(raw="１２３４５６７８９０１２３４５６")
@example(raw="1234 5678 9012 3456\n")
@example(raw="")
def test_normalise_code_rejects_everything_else(raw):
    result = normalise_code(raw)
    if _is_code(raw):
        assert result == "".join(ch for ch in raw if ch.isdigit())
    else:
        assert result is None


def test_normalise_code_of_nothing():
    assert normalise_code(None) is None


@PURE
@given(raw=st.one_of(text, phone_like, st.text(_chars)))
def test_phone_number_never_raises_and_returns_a_dialable_number(raw):
    number = wizard.phone_number(raw)
    if number is not None:
        digits = number[1:] if number.startswith("+") else number
        assert digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15


@PURE
@given(raw=st.one_of(text, st.text(_chars),
                     st.builds(lambda a, b: f"{a}@{b}", short_text, short_text),
                     st.emails().map(lambda e: f"  {e} ")))
def test_email_address_never_raises_and_returns_one_address(raw):
    address = wizard.email_address(raw)
    if address is not None:
        assert address.isascii() and len(address) <= 254 and address.count("@") == 1
        assert address == address.strip() and not any(ch.isspace() for ch in address)


@PURE
@given(raw=st.one_of(text, st.text(_chars)), multiline=st.booleans())
def test_clean_text_leaves_nothing_unsafe(raw, multiline):
    cleaned = _clean.text(raw, multiline=multiline)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", cleaned)
    cleaned.encode("utf-8")  # storable: no lone surrogates left
    assert cleaned == cleaned.strip()
    if not multiline:
        assert "\n" not in cleaned and "\t" not in cleaned


@PURE
@given(raw=st.one_of(text, st.text(_chars)), multiline=st.booleans())
@example(raw="e\x00\u0301", multiline=False)
def test_clean_text_is_idempotent_and_nfc(raw, multiline):
    """Found here: NFC came before removing control characters, so 'e\\x00\\u0301' gave a
    decomposed 'e\\u0301' (not NFC; cleaning it again gave 'é')."""
    cleaned = _clean.text(raw, multiline=multiline)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert _clean.text(cleaned, multiline=multiline) == cleaned


# --- regressions: the bugs these properties found (storage does not matter: SQLite only) --------


@pytest.mark.parametrize("step", [None, "junk", "check"])
def test_junk_answer_on_the_check_page_is_not_a_500(sqlite_client, step):
    """It was a 500: the draft's step 'check' was validated as an answer, and the step after
    it read past the end of STEPS (IndexError)."""
    c = sqlite_client
    token = csrf_token(c)
    fresh_draft(c, token, len(journey.ANSWERS))
    before = draft_answers(c)
    data = {"_csrf_token": token, **({"step": step} if step is not None else {})}
    response = c.post("/report/answer", data=data)
    assert response.status_code < 500
    assert draft_answers(c) == before


def _multipart(token_in_form: str | None, part_headers: bytes, value: bytes) -> bytes:
    out = b""
    if token_in_form:
        out += (b'--b\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n'
                + token_in_form.encode() + b"\r\n")
    return (out + b'--b\r\nContent-Disposition: form-data; name="details"\r\n' + part_headers
            + b"\r\n" + value + b"\r\n--b--\r\n")


@pytest.mark.parametrize("method,token_in,part_headers,value", [
    ("POST", "form", b"", b"\xed\xa0\x80 lone surrogate"),
    ("POST", "form", b"", b"\xff\xfe"),
    ("POST", "form", b"Content-Type: text/plain; charset=bogus\r\n", b"abc"),
    ("POST", "header", b"Content-Type: text/plain; charset=bogus\r\n", b"abc"),
    ("GET", None, b"", b"\xff"),
], ids=["surrogate", "ff-fe", "bogus-charset", "bogus-charset-header-token", "get"])
def test_multipart_text_part_that_is_not_utf8_is_a_400(sqlite_client, method, token_in,
                                                       part_headers, value):
    """Found by these properties (it was a 500 from the CSRF middleware's form read)."""
    c = sqlite_client
    token = csrf_token(c)
    fresh_draft(c, token, 7)
    before = draft_answers(c)
    path = "/report/answer" if method == "POST" else "/report"
    response = c.request(method, path, follow_redirects=False,
                         content=_multipart(token if token_in == "form" else None, part_headers,
                                            value),
                         headers={"content-type": "multipart/form-data; boundary=b",
                                  **({"x-csrftoken": token} if token_in == "header" else {})})
    assert 400 <= response.status_code < 500, response.status_code
    assert draft_answers(c) == before


def _over_cap(c, field: str) -> tuple[str, str]:
    """Send a free text over twice its limit, where it is refused; (typed, shown)."""
    token = csrf_token(c)
    if field in ("details", "needs_other"):
        fresh_draft(c, token, 7 if field == "details" else 8)
        typed = "Më godet. " * 1000 + "FUNDI"  # 10,005 characters
        data = ({"step": "details", "details": typed} if field == "details"
                else {"step": "needs", "needs": "other", "needs_other": typed[:1001] + "FUNDI"})
        response = c.post("/report/answer", data={"_csrf_token": token, **data})
        typed = data[field]
        shown = (shown_textarea if field == "details" else shown_input)(response.text, field)
    else:
        code = journey.report(c)
        journey.open_check(c, code)
        if field == "pending":
            c.post("/check/close", data={"_csrf_token": token})
        typed = "Edhe diçka. " * 900 + "FUNDI"  # 10,805 characters
        response = c.post("/check/add", data={"_csrf_token": token, "message": typed})
        shown = (shown_textarea if field == "message" else shown_input)(response.text, field)
    assert response.status_code in (200, 422)
    return _clean.text(typed, multiline=field != "needs_other"), shown


@pytest.mark.parametrize("field", ["details", "needs_other", "message", "pending"])
def test_overlong_text_is_shown_again_in_full(sqlite_client, field):
    """A refused free text comes back whole (it was cut to twice its limit, losing the end)."""
    typed, shown = _over_cap(sqlite_client, field)
    assert shown == typed


@pytest.mark.parametrize("typed", ["Nuk shoh mirë", "x" * 600], ids=["short", "too-long"])
def test_needs_other_text_is_kept_without_the_tick(sqlite_client, typed):
    """The 'If something else' field is always visible: what is typed there counts, ticked or
    not (it was dropped silently, or shown back empty under its error)."""
    c = sqlite_client
    token = csrf_token(c)
    fresh_draft(c, token, 8)
    response = c.post("/report/answer", data={"_csrf_token": token, "step": "needs",
                                              "needs": "simple", "needs_other": typed},
                      follow_redirects=False)
    if response.status_code == 422:
        assert shown_input(response.text, "needs_other") == typed
    else:
        assert draft_answers(c)["needs_other"] == typed


def test_long_phone_text_keeps_its_number(sqlite_client):
    """A valid number written with many separators is kept (the text was cut to 40 characters
    after validation, which left '06912': a call back with no number)."""
    c = sqlite_client
    token = csrf_token(c)
    fresh_draft(c, token, 9)
    typed = "-" * 35 + "0691234567"
    response = c.post("/report/answer", follow_redirects=False, data={
        "_csrf_token": token, "step": "contact", "contact": "phone", "phone": typed})
    assert response.status_code == 303
    assert wizard.contact_value(draft_answers(c)) == "0691234567"


@pytest.mark.parametrize("content_type,body", [("application/json", b'{"step": "details"}'),
                                               ("text/plain", b"step=details")])
def test_a_body_that_is_not_a_form_does_not_answer_a_step(sqlite_client, content_type, body):
    """JSON, text or garbage is not an answer: it used to answer an optional step with nothing,
    wiping what the child wrote there."""
    c = sqlite_client
    token = csrf_token(c)
    fresh_draft(c, token, len(journey.ANSWERS))
    c.post("/report/change", data={"_csrf_token": token, "step": "details"})
    before = draft_answers(c)
    assert before["details"]
    c.post("/report/answer", content=body, follow_redirects=False,
           headers={"content-type": content_type, "x-csrftoken": token})
    assert draft_answers(c) == before
