"""HTTP-level security guarantees (DESIGN.md §4 and §8).

Headers on every kind of response, caching, CSRF, cookies, the body limit, error pages in the
reader's language, htmx fragments and error swaps, the quick exit, the language switch's redirect
target, and sending a report exactly once. SQLite only (`sqlite_client`) unless storage matters.

A test that pins a known app bug is marked xfail(strict=True) with the bug in its reason: once
the bug is fixed it fails as XPASS(strict), and the mark should go.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import threading
import warnings
from urllib.parse import urljoin, urlsplit

import pytest
from litestar.middleware.csrf import generate_csrf_token
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import i18n
from config import get_settings
from db.tables import Draft, FollowupSession, Report, ReportEvent
from forms import report as wizard
from routes.errors import HEADINGS
from services._db import keyed_hash
from tests import dbutil, journey
from tests.journey import HX, csrf

LIMIT = 64 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
BASE = "http://testserver.local"
EXIT_URL = os.environ["RAPORTO_EXIT_URL"]


# --- helpers -------------------------------------------------------------------------------------


db = dbutil.run  # a Piccolo query on the active engine, on a fresh connection


def h1(page: str) -> str:
    return html.unescape(journey.h1(page))


def heading(kind, language: str) -> str:
    return i18n.translations(language).gettext(HEADINGS[kind])


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.text)
    return match.group(1) if match else ""


def main_links(html: str) -> list[str]:
    main = re.search(r'<main\b.*?</main>', html, re.S)
    return re.findall(r'<a\b[^>]*\bhref="([^"]*)"', main.group(0) if main else html)


def draft_answers(client) -> dict | None:
    token = client.cookies.get("rp_draft")
    row = db(Draft.select(Draft.answers)
             .where(Draft.token_hash == keyed_hash("draft", token or "")).first())
    return json.loads(row["answers"]) if row else None


def reports_with_key(key: str) -> int:
    return db(Report.count().where(Report.idempotency_hash == keyed_hash("idempotency", key)))


def assert_security_headers(response) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {}
    for part in csp.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name.lower()] = sources
    assert directives.get("default-src") == ["'none'"], csp
    assert directives.get("script-src") == ["'self'"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "data:", "*"):
        assert unsafe not in csp.split(), csp
    assert response.headers.get("referrer-policy") == "no-referrer"
    assert response.headers.get("x-content-type-options") == "nosniff"


def no_store(response) -> None:
    assert "no-store" in response.headers.get("cache-control", ""), (
        response.request.method, response.request.url, response.headers.get("cache-control"))


def static_urls(html: str) -> list[str]:
    return sorted({u.split("#")[0] for u in re.findall(r'(?:href|src)="(/static/[^"]+)"', html)})


def at_step(client, answered: int) -> str:
    """A fresh draft with the first `answered` questions answered; returns the CSRF token."""
    client.cookies.delete("rp_draft")
    token = journey.start(client)
    journey.fill_all(client, token, journey.ANSWERS[:answered])
    return token


def sent_and_open(client) -> tuple[str, str]:
    """A sent report and an open follow-up session; returns (receipt code, CSRF token)."""
    code = journey.report(client)
    response, token = journey.open_check(client, code)
    assert response.status_code == 200 and client.cookies.get("rp_check")
    return code, token


def provoke_500(client, headers=None):
    """A real 500: a service that fails unexpectedly while the wizard renders."""
    from unittest import mock

    at_step(client, 3)
    with mock.patch("services.drafts.load", side_effect=RuntimeError("boom")):
        response = client.get("/report", headers=headers or {})
    assert response.status_code == 500
    return response


# --- headers on every kind of response -----------------------------------------------------------


def _page(c):
    return c.get("/")


def _report_page(c):
    at_step(c, 3)
    return c.get("/report")


def _fragment(c):
    at_step(c, 3)
    response = c.get("/report", headers=HX)
    assert "<html" not in response.text.lower()
    return response


def _redirect(c):
    token = csrf(c.get("/report").text)
    return c.post("/report/start", data={"_csrf_token": token}, follow_redirects=False)


def _static(c):
    urls = static_urls(c.get("/").text)
    assert urls
    return c.get(urls[0])


def _not_found(c):
    return c.get("/no-such-page")


def _too_large(c):
    token = at_step(c, 7)
    return c.post("/report/answer", data={"_csrf_token": token, "step": "details",
                                          "details": "x" * (LIMIT + 1)})


def _csrf_refused(c):
    at_step(c, 3)
    return c.post("/report/answer", data={"step": "when", "happened": "days"})


def _invalid(c):
    token = at_step(c, 0)
    return c.post("/report/answer", data={"_csrf_token": token, "step": "who", "about": "nobody"})


def _exit(c):
    return c.get("/exit", follow_redirects=False)


def _forget(c):
    return c.post("/exit/forget")


def _method_not_allowed(c):
    return c.get("/report/answer")


def _server_error(c, headers=None):
    return provoke_500(c, headers)


def _server_error_htmx(c):
    response = _server_error(c, HX)
    assert response.headers.get("hx-retarget") == "#main"
    assert "<html" not in response.text.lower()
    assert h1(response.text) == heading(500, "sq")
    return response


KINDS = {"page": _page, "report page": _report_page, "fragment": _fragment, "303": _redirect,
         "static file": _static, "404": _not_found, "413": _too_large, "403 csrf": _csrf_refused,
         "422": _invalid, "exit 303": _exit, "204": _forget, "405": _method_not_allowed,
         "500": _server_error, "500 htmx": _server_error_htmx}


@pytest.mark.parametrize("kind", KINDS)
def test_security_headers_on_every_kind_of_response(sqlite_client, kind):
    response = KINDS[kind](sqlite_client)
    if kind == "204":  # no document, nothing to protect: an idle chat poll stays ~90 bytes
        assert "content-security-policy" not in response.headers
    else:
        assert_security_headers(response)
    if kind not in ("static file",):
        no_store(response)
    expected = {"303": 303, "exit 303": 303, "204": 204, "404": 404, "413": 413, "403 csrf": 403,
                "422": 422, "405": 405, "500": 500, "500 htmx": 500}.get(kind, 200)
    assert response.status_code == expected


# --- caching -------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_every_journey_response_is_no_store(sqlite_client, headers):
    c = sqlite_client
    seen = []

    def hit(method, path, data=None):
        response = c.request(method, path, data=data, headers=headers, follow_redirects=False)
        seen.append(response)
        if response.status_code == 303:
            seen.append(c.get(response.headers["location"], headers=headers))
        return seen[-1]

    token = csrf(hit("GET", "/report").text)
    hit("POST", "/report/start", {"_csrf_token": token})
    hit("POST", "/report/answer", {"_csrf_token": token, "step": "who", "about": "?"})  # 422
    for step, values in journey.ANSWERS:
        hit("POST", "/report/answer", {"_csrf_token": token, "step": step, **values})
    hit("POST", "/report/change", {"_csrf_token": token, "step": "details"})
    hit("POST", "/report/answer", {"_csrf_token": token, "step": "details", "details": "Më vjen."})
    hit("POST", "/report/back", {"_csrf_token": token})
    hit("POST", "/report/answer", {"_csrf_token": token, "step": "contact", "contact": "anonymous"})
    key = journey.hidden(seen[-1].text, "idempotency_key")
    receipt = hit("POST", "/report/send", {"_csrf_token": token, "idempotency_key": key})
    code = journey.receipt_code(receipt.text)
    assert code, receipt.text[:500]
    hit("POST", "/report/send", {"_csrf_token": token, "idempotency_key": key})  # a replay
    hit("GET", "/check")
    hit("POST", "/check/code", {"_csrf_token": token, "code": "1234"})  # 422
    hit("POST", "/check/code", {"_csrf_token": token, "code": code})
    hit("POST", "/check/add", {"_csrf_token": token, "message": ""})  # 422
    hit("POST", "/check/add", {"_csrf_token": token, "message": "Edhe diçka."})
    hit("POST", "/check/close", {"_csrf_token": token})
    hit("POST", "/check/add", {"_csrf_token": token, "message": "Pas mbylljes."})  # signed out
    for response in seen:
        assert response.status_code < 500, (response.request.url, response.text[:500])
        no_store(response)
        assert_security_headers(response)
    statuses = {r.status_code for r in seen}
    assert {200, 422} <= statuses


@pytest.mark.parametrize("make", [_not_found, _too_large, _csrf_refused, _method_not_allowed,
                                  _server_error], ids=["404", "413", "403", "405", "500"])
def test_error_pages_are_no_store(sqlite_client, make):
    response = make(sqlite_client)
    assert response.status_code >= 400
    no_store(response)
    assert "immutable" not in response.headers.get("cache-control", "")


def test_static_files_are_immutable_with_content_hashed_names(sqlite_client):
    urls = static_urls(sqlite_client.get("/").text)
    assert {u.rsplit(".", 1)[-1] for u in urls} >= {"css", "js", "svg"}
    for url in urls:
        response = sqlite_client.get(url, headers={"accept-encoding": "br, gzip"})
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE
        assert_security_headers(response)
        digest = re.search(r"\.([0-9a-f]{10})\.[a-z0-9]+$", url)
        assert digest, f"{url} has no content hash in its name"
        assert hashlib.sha256(response.content).hexdigest()[:10] == digest.group(1), url
        # Any other name is a 404 that no cache may keep.
        for wrong in (re.sub(r"\.[0-9a-f]{10}\.", ".", url), re.sub(r"\.[0-9a-f]{10}\.",
                                                                     ".0000000000.", url)):
            missing = sqlite_client.get(wrong)
            assert missing.status_code == 404, wrong
            no_store(missing)


# --- CSRF ----------------------------------------------------------------------------------------

REPORT_POSTS = {
    "/report/start": {},
    "/report/answer": {"step": "details", "details": "FORGED"},
    "/report/back": {},
    "/report/change": {"step": "who"},
    "/report/send": {"idempotency_key": "forged-key"},
}
CHECK_POSTS = {
    "/check/code": {"code": "0000 0000 0000 0000"},
    "/check/add": {"message": "FORGED"},
    "/check/close": {},
}


def _forge(client, how: str, token: str) -> tuple[dict, dict]:
    """(extra form fields, headers) for a forged request."""
    if how == "missing":
        return {}, {}
    if how == "forged":
        return {"_csrf_token": "0" * len(token)}, {}
    if how == "forged header":
        return {}, {"x-csrftoken": token[::-1]}
    # A well-formed, correctly signed token, but another browser's.
    return {"_csrf_token": generate_csrf_token(secret=get_settings().secret.decode())}, {}


FORGERIES = ["missing", "forged", "forged header", "another browser's"]


def assert_csrf_page(response, continue_to: str) -> None:
    assert response.status_code == 403
    assert h1(response.text) == heading("csrf", page_language(response))
    assert continue_to in main_links(response.text)
    no_store(response)
    assert_security_headers(response)


@pytest.mark.parametrize("how", FORGERIES)
@pytest.mark.parametrize("path", REPORT_POSTS)
def test_report_posts_without_a_valid_token_are_refused_and_the_draft_is_intact(
        sqlite_client, path, how):
    c = sqlite_client
    token = at_step(c, 8)  # answered up to "needs", details included
    before, before_h1 = draft_answers(c), h1(c.get("/report").text)
    fields, headers = _forge(c, how, token)
    response = c.post(path, data={**REPORT_POSTS[path], **fields}, headers=headers)
    assert_csrf_page(response, "/report")
    assert draft_answers(c) == before
    assert h1(c.get("/report").text) == before_h1
    # The earlier answers are all still there on the check page.
    check = journey.fill_all(c, token, journey.ANSWERS[8:])
    assert h1(check.text) == i18n.translations("sq").gettext(wizard.QUESTIONS["check"])
    assert "Më godet çdo ditë." in check.text and "At school." in check.text
    assert "Kamëz" in check.text and "FORGED" not in check.text


@pytest.mark.parametrize("how", FORGERIES)
@pytest.mark.parametrize("path", CHECK_POSTS)
def test_check_posts_without_a_valid_token_are_refused_and_nothing_changes(sqlite_client, path,
                                                                          how):
    c = sqlite_client
    _, token = sent_and_open(c)
    session = c.cookies.get("rp_check")
    report = db(FollowupSession.select(FollowupSession.report)
                .where(FollowupSession.token_hash == keyed_hash("followup", session)).first())
    events = db(ReportEvent.count().where(ReportEvent.report == report["report"]))
    fields, headers = _forge(c, how, token)
    response = c.post(path, data={**CHECK_POSTS[path], **fields}, headers=headers)
    assert_csrf_page(response, "/check")
    assert c.cookies.get("rp_check") == session
    page = c.get("/check")
    assert h1(page.text) == i18n.translations("sq").gettext("Your report")  # still signed in
    assert db(ReportEvent.count().where(ReportEvent.report == report["report"])) == events


def test_a_refused_post_in_english_explains_in_english(sqlite_client):
    c = sqlite_client
    c.get("/language/en?next=/")
    at_step(c, 2)
    response = c.post("/report/answer", data={"step": "danger", "in_danger": "no"})
    assert response.status_code == 403
    assert page_language(response) == "en"
    assert h1(response.text) == heading("csrf", "en")


# --- cookies -------------------------------------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0].strip(): header
            for header in response.headers.get_list("set-cookie")}


def test_cookies_are_httponly_and_samesite_strict(sqlite_client):
    c = sqlite_client
    found = {}
    first = c.get("/check")
    found.update(_set_cookies(first))
    token = csrf(first.text)
    found.update(_set_cookies(c.post("/report/start", data={"_csrf_token": token},
                                     follow_redirects=False)))
    code = journey.report(c)
    found.update(_set_cookies(c.post("/check/code", data={"_csrf_token": token, "code": code},
                                     follow_redirects=False)))
    found.update(_set_cookies(c.get("/language/en?next=/", follow_redirects=False)))
    expired = _set_cookies(c.get("/exit", follow_redirects=False))
    assert {"rp_draft", "rp_check", "rp_lang", "rp_csrf", "rp_browser"} <= set(found), found
    for header in [*found.values(), *expired.values()]:
        attributes = [a.strip().lower() for a in header.split(";")[1:]]
        assert "httponly" in attributes, header
        assert "samesite=strict" in attributes, header
        assert "path=/" in attributes, header


def test_no_script_can_reach_browser_storage(sqlite_client):
    """No inline script (CSP 'self' only, checked on every page by a11y.checks), htmx's history
    cache off, and our own script touches no storage."""
    c = sqlite_client
    at_step(c, 3)
    page = c.get("/report").text
    assert '"historyCacheSize":0' in page, "htmx's history cache is not switched off"
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip()
                           for attrs, body in scripts)
    checked = 0
    for url in static_urls(page):
        if url.endswith(".js") and "htmx" not in url:
            source = c.get(url).text
            checked += 1
            for api in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
                # One exception, by design (issue 5): the offline outbox keeps a report the
                # child sent without a connection in IndexedDB until it is delivered, and its
                # receipt until shown once; then both leave the phone.
                if api == "indexedDB" and "/static/outbox." in url:
                    continue
                assert api not in source, f"{url} uses {api}"
    assert checked == 2  # app.js and outbox.js


# --- the body limit and error pages in the reader's language -------------------------------------


@pytest.mark.parametrize("language,token_in", [("sq", "form"), ("en", "form"), ("en", "header")])
def test_a_body_over_64_kib_is_a_413_page_in_the_readers_language(sqlite_client, language,
                                                                  token_in):
    c = sqlite_client
    c.get(f"/language/{language}?next=/")
    token = at_step(c, 7)
    before = draft_answers(c)
    data = {"step": "details", "details": "x" * LIMIT}
    headers = {"x-csrftoken": token} if token_in == "header" else {}
    if token_in == "form":
        data["_csrf_token"] = token
    response = c.post("/report/answer", data=data, headers=headers)
    assert response.status_code == 413
    assert page_language(response) == language
    assert h1(response.text) == heading(413, language)
    no_store(response)
    assert draft_answers(c) == before  # "What you already sent before is kept."


def test_the_body_limit_is_exactly_64_kib(sqlite_client):
    c = sqlite_client
    token = at_step(c, 7)
    prefix = f"_csrf_token={token}&step=details&details=".encode()
    at_limit = prefix + b"y" * (LIMIT - len(prefix))
    response = c.post("/report/answer", content=at_limit, follow_redirects=False,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422  # read, and refused for being over 5,000 characters
    response = c.post("/report/answer", content=at_limit + b"y", follow_redirects=False,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_a_chunked_body_over_the_limit_is_a_413(sqlite_client):
    c = sqlite_client
    token = at_step(c, 7)

    def chunks():
        yield f"_csrf_token={token}&step=details&details=".encode()
        for _ in range(20):
            yield b"z" * 4096

    response = c.post("/report/answer", content=chunks(),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/no-such-page", "/info/no-such-page"])
@pytest.mark.parametrize("language", ["sq", "en"])
def test_404_pages_are_in_the_readers_language(sqlite_client, path, language):
    c = sqlite_client
    if language != "sq":
        assert c.get(f"/language/{language}?next=/", follow_redirects=False).status_code == 303
    response = c.get(path)
    assert response.status_code == 404
    assert page_language(response) == language
    expected = heading(404, language)
    assert h1(response.text) == expected
    title = re.search(r"<title>(.*?)</title>", response.text, re.S).group(1)
    assert title.startswith(expected)
    no_store(response)


def test_404_headings_differ_between_languages(sqlite_client):
    sq, en = heading(404, "sq"), heading(404, "en")
    if sq == HEADINGS[404]:
        warnings.warn("locales/sq has no translation of the 404 heading yet: only the structure "
                      "of the Albanian 404 page is checked", stacklevel=1)
        return
    assert sq != en
    assert h1(sqlite_client.get("/info/no-such-page").text) == sq


# --- htmx ----------------------------------------------------------------------------------------


def test_wizard_fragments_are_fragments_and_vary_on_hx_request(sqlite_client):
    c = sqlite_client
    token = csrf(c.get("/report").text)
    responses = [c.post("/report/start", data={"_csrf_token": token}, headers=HX)]
    responses.append(journey.answer(c, token, "who", {"about": "nobody"}, HX))  # 422
    for step, values in journey.ANSWERS:
        responses.append(journey.answer(c, token, step, values, HX))
    responses.append(c.post("/report/back", data={"_csrf_token": token}, headers=HX))
    responses.append(c.post("/report/change", data={"_csrf_token": token, "step": "who"},
                            headers=HX))
    responses.append(c.get("/report", headers=HX))
    for response in responses:
        assert response.status_code in (200, 422), (response.request.url, response.text[:500])
        text = response.text.lower()
        assert "<html" not in text and "<!doctype" not in text, response.request.url
        assert "<title>" in text and "<h1" in text
        assert "hx-request" in response.headers.get("vary", "").lower()
        no_store(response)
    assert [r.status_code for r in responses].count(422) == 1


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}],
                         ids=["boosted", "history-restore"])
def test_boosted_and_history_restore_requests_get_the_whole_page(sqlite_client, extra):
    c = sqlite_client
    token = at_step(c, 3)
    headers = {**HX, **extra}
    for response in (c.get("/report", headers=headers), c.get("/check", headers=headers),
                     journey.answer(c, token, "county", {"county": "nowhere"}, headers)):
        assert response.text.lstrip().lower().startswith("<!doctype html"), response.request.url
        assert "hx-request" in response.headers.get("vary", "").lower()


def test_full_pages_vary_on_hx_request_too(sqlite_client):
    for path in ("/report", "/check", "/"):
        response = sqlite_client.get(path)
        assert "hx-request" in response.headers.get("vary", "").lower(), path


@pytest.mark.parametrize("error", ["csrf", 413, 404])
def test_an_htmx_request_that_fails_gets_the_error_block_in_main(sqlite_client, error):
    c = sqlite_client
    token = at_step(c, 7)
    if error == "csrf":
        response = c.post("/report/answer", data={"step": "details", "details": "x"}, headers=HX)
        status = 403
    elif error == 413:
        response = c.post("/report/answer", headers={**HX, "x-csrftoken": token},
                          data={"step": "details", "details": "x" * LIMIT})
        status = 413
    else:
        response = c.get("/info/no-such-page", headers=HX)
        status = 404
    assert response.status_code == status
    assert response.headers.get("hx-retarget") == "#main"
    text = response.text
    assert "<html" not in text.lower() and "<title>" in text
    assert h1(text) == heading(error, "sq")
    no_store(response)
    assert_security_headers(response)


# --- quick exit ----------------------------------------------------------------------------------


@pytest.fixture
def mid_journey(sqlite_client):
    """A sent report with an open follow-up session, and a new unsent draft at "details"."""
    c = sqlite_client
    sent_and_open(c)
    at_step(c, 7)
    return c


def test_exit_leaves_for_the_neutral_site_and_forgets_the_draft(mid_journey):
    c = mid_journey
    draft_token, followup_token = c.cookies.get("rp_draft"), c.cookies.get("rp_check")
    reports = db(Report.count())
    response = c.get("/exit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == EXIT_URL
    assert response.headers.get("clear-site-data") == '"cache"'
    assert_security_headers(response)
    no_store(response)
    cookies = _set_cookies(response)
    for name in ("rp_draft", "rp_check"):
        attributes = cookies[name].lower()
        assert re.search(r"max-age=0\b", attributes) or "expires=thu, 01 jan 1970" in attributes
    # Forgotten on the server too: the old cookies open nothing any more.
    assert db(Draft.count().where(Draft.token_hash == keyed_hash("draft", draft_token))) == 0
    c.cookies.set("rp_draft", draft_token, domain="testserver.local", path="/")
    c.cookies.set("rp_check", followup_token, domain="testserver.local", path="/")
    assert h1(c.get("/report").text) == i18n.translations("sq").gettext("Report what is happening")
    assert h1(c.get("/check").text) == i18n.translations("sq").gettext("Check my report")
    assert db(Report.count()) == reports  # a sent report is never discarded


def test_exit_forget_needs_no_token_and_forgets_the_draft(mid_journey):
    c = mid_journey
    draft_token = c.cookies.get("rp_draft")
    response = c.post("/exit/forget")  # no token, no body: what navigator.sendBeacon sends
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert "rp_draft=" in response.headers.get("set-cookie", "")  # and the cookies go too
    assert db(Draft.count().where(Draft.token_hash == keyed_hash("draft", draft_token))) == 0
    assert h1(c.get("/report").text) == i18n.translations("sq").gettext("Report what is happening")


# --- the language switch -------------------------------------------------------------------------


def _browser_target(location: str) -> str:
    """Where a browser goes for this Location: it drops tabs and newlines, reads \\ as /."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(0x21)))))
    return urljoin(BASE + "/", cleaned.replace("\\", "/"))


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "\\\\evil.example", "http:evil.example", "javascript:alert(1)",
                                    "", "evil.example", "///evil.example", "/\\/evil.example"])
def test_language_switch_only_redirects_to_local_paths(sqlite_client, target):
    response = sqlite_client.get("/language/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "rp_lang" in _set_cookies(response)


@pytest.mark.parametrize("target", ["/report", "/check", "/info/what-happens"])
def test_language_switch_returns_to_a_local_page_and_keeps_the_draft(sqlite_client, target):
    c = sqlite_client
    at_step(c, 4)
    before = draft_answers(c)
    response = c.get("/language/en", params={"next": target}, follow_redirects=False)
    assert response.headers["location"] == target
    assert draft_answers(c) == before


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.one_of(st.text(), st.text(st.sampled_from("/\\:.@?#%\t\n evilx")).map(
    lambda s: s.replace("x", ".example"))))
@example(target="/\t/evil.example")
@example(target="/%2F/evil.example")
def test_language_switch_never_leaves_the_site(sqlite_client, target):
    response = sqlite_client.get("/language/sq", params={"next": target.encode(
        "utf-8", "replace").decode("utf-8")}, follow_redirects=False)
    assert response.status_code == 303
    assert urlsplit(_browser_target(response.headers["location"])).netloc == "testserver.local"


# --- sending exactly once ------------------------------------------------------------------------


def test_sending_twice_with_the_same_key_makes_one_report_and_one_receipt(client):
    token = journey.start(client)
    check = journey.fill_all(client, token)
    key = journey.hidden(check.text, "idempotency_key")
    total = db(Report.count())
    codes = [journey.receipt_code(journey.send(client, token, key).text),
             journey.receipt_code(journey.send(client, token, key).text),
             journey.receipt_code(journey.send(client, token, key, HX).text)]
    assert codes[0] and len(set(codes)) == 1, codes
    assert reports_with_key(key) == 1
    assert db(Report.count()) == total + 1


def test_sending_concurrently_makes_one_report(client):
    """A double tap: two sends with the same cookies and key in flight at once."""
    token = journey.start(client)
    check = journey.fill_all(client, token)
    key = journey.hidden(check.text, "idempotency_key")
    total = db(Report.count())
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def tap(n):
        barrier.wait()
        try:
            results[n] = client.post("/report/send", follow_redirects=False,
                                     data={"_csrf_token": token, "idempotency_key": key})
        except Exception as error:  # reported below, with the other thread's result
            results[n] = error

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = set()
    assert len(results) == 2
    for n, result in results.items():
        assert not isinstance(result, Exception), (n, result)
        assert result.status_code in (200, 303), (n, result.status_code, result.text[:500])
        if result.status_code == 200:
            codes.add(journey.receipt_code(result.text))
    codes.add(journey.receipt_code(client.get("/report").text))  # after the 303
    codes.add(journey.receipt_code(journey.send(client, token, key).text))  # a later replay
    assert reports_with_key(key) == 1
    assert db(Report.count()) == total + 1
    assert len(codes) == 1 and "" not in codes, codes


def test_a_different_draft_gets_a_different_code(client):
    first = journey.report(client)
    second = journey.report(client)  # the first draft is gone: this is a new one, with a new key
    assert first and second and first != second
