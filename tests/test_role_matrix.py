"""Who may open what: every staff route x {anonymous, counsellor, supervisor, admin}, and every
unsafe route of the whole app without a CSRF token. The routes are read from the app itself, so
a new route is covered (or fails loudly) as soon as it is registered. SQLite only: this is about
HTTP, not storage."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import create_app
from db.tables import AuditEntry, CannedReply, InfoPage, Referral, Service, StaffSession
from services import chat
from services._db import keyed_hash, now
from services.accounts import StaffUser
from tests.dbutil import rows, run
from tests.journey import h1
from tests.staff_helpers import (HOST, LOGIN, act_as, call, english, manual, new_report,
                                 page_token, team, unique)

ROLES = ("counsellor", "supervisor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
GUARDS = {f"requires_{role}": role for role in ROLES}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Routes under /staff that must work without a session: signing in and out, and /staff itself,
# which only sends you to the sign-in page or the inbox and shows nothing.
OPEN_STAFF = {("/staff/login", "GET"), ("/staff/login", "POST"), ("/staff/logout", "POST"),
              ("/staff", "GET")}
# The quick-exit beacon (SameSite=Strict cookies keep others out), and the offline outbox's
# delivery of a whole anonymous report, whose form's session may be long gone (it acts on
# nobody's behalf: the wizard lets anyone send a report).
CSRF_EXEMPT = {"/exit/forget", "/report/deliver"}
FORBIDDEN_H1 = "You cannot open this page"
CSRF_H1 = "This page was open too long"


def _routes() -> list[tuple[str, str, object]]:
    """(path, method, handler) for every HTTP handler of the app, OPTIONS and HEAD left out."""
    found = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((route.path, method, handler))
    return found


ROUTES = _routes()
STAFF_GETS = [(p, h) for p, m, h in ROUTES if p.startswith("/staff") and m == "GET"]
UNSAFE_ROUTES = [(p, m) for p, m, _ in ROUTES if m in UNSAFE]
STAFF_UNSAFE = [(p, m, h) for p, m, h in ROUTES if p.startswith("/staff") and m in UNSAFE
                and (p, m) not in OPEN_STAFF]


def minimum_role(handler) -> str | None:
    names = [g.__name__ for g in handler.resolve_guards()]
    roles = [GUARDS[n] for n in names if n in GUARDS]
    return min(roles, key=RANK.get) if roles else None


# --- real ids for every path parameter -------------------------------------------------------

_WORLD: dict[str, int] = {}


def world(client) -> dict[str, int]:
    """One real row for each kind of id a path can hold (made once for the module)."""
    if not _WORLD:
        people = team("sqlite")
        report_id, _ = new_report(client)
        service_id = run(Service.insert(Service(name=unique("Matrix service "), kind="ngo"))
                         .returning(Service.id))[0]["id"]
        moment = now()
        referral_id = run(Referral.insert(Referral(report=report_id, service=service_id,
                                                   created_at=moment, updated_at=moment))
                          .returning(Referral.id))[0]["id"]
        canned_id = run(CannedReply.insert(CannedReply(language="en", title=unique("Matrix "),
                                                       body="Hello")).returning(CannedReply.id))[0]["id"]
        # a chat the team's counsellor is in (supervisors and admins may open any chat)
        _, conversation_id = call(chat.start, "en", "", "Hello", None)
        counsellor = people["counsellor"]
        call(chat.accept, conversation_id, StaffUser(counsellor.id, counsellor.username,
                                                     counsellor.display_name, "counsellor"))
        page_id = run(InfoPage.select(InfoPage.id).order_by(InfoPage.id).first())["id"]
        _WORLD.update(report=report_id, referral=referral_id, service=service_id,
                      canned=canned_id, account=people["counsellor2"].id,
                      conversation=conversation_id, page=page_id)
    return _WORLD


def concrete(path: str, ids: dict[str, int]) -> str:
    """The path with each {name:type} replaced by a real id of that kind."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        for kind in ("referral", "report", "account", "service", "canned", "conversation",
                     "page"):
            if kind in name:
                return str(ids[kind])
        raise AssertionError(f"no real id known for the path parameter {name!r} of {path}: "
                             "add one to world() in tests/test_role_matrix.py")

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


@pytest.fixture
def client(sqlite_client):
    english(sqlite_client)
    return manual(sqlite_client)


def as_role(client, role: str | None) -> None:
    """Anonymous (None) or signed in as the team member with that role."""
    for cookie in [c for c in client.cookies.jar if c.name == "rp_staff"]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    if role:
        act_as(client, "sqlite", team("sqlite")[role])


# --- the guards themselves -------------------------------------------------------------------

def test_the_matrix_covers_the_workspace():
    paths = {p for p, _ in STAFF_GETS}
    assert {"/staff/inbox", "/staff/inbox/poll", "/staff/case/{report_id:int}"} <= paths
    assert len(STAFF_UNSAFE) >= 10


@pytest.mark.parametrize("path, method, handler", [(p, m, h) for p, m, h in ROUTES
                                                   if p.startswith("/staff")],
                         ids=[f"{m} {p}" for p, m, _ in ROUTES if p.startswith("/staff")])
def test_every_staff_route_has_a_role_guard(path, method, handler):
    names = [g.__name__ for g in handler.resolve_guards()]
    if (path, method) in OPEN_STAFF:
        assert not [n for n in names if n in GUARDS], f"{method} {path} must stay open"
        return
    assert minimum_role(handler), f"{method} {path} has no requires_* guard (guards: {names})"
    assert len([n for n in names if n in GUARDS]) == 1, f"{method} {path}: several role guards {names}"


# --- GET: anonymous -> sign-in page; below the guard -> 403; at or above -> 200 ----------------

@pytest.mark.parametrize("path, handler", STAFF_GETS, ids=[p for p, _ in STAFF_GETS])
def test_get_route_by_role(client, path, handler):
    url = concrete(path, world(client))
    needed = minimum_role(handler)
    problems = []
    for role in (None, *ROLES):
        as_role(client, role)
        response = client.get(url)
        seen = (response.status_code, response.headers.get("location", ""))
        if path == "/staff/login":
            expected = (200, "") if role is None else (303, "/staff/inbox")
        elif path == "/staff":
            expected = (303, LOGIN if role is None else "/staff/inbox")
        elif role is None:
            expected = (303, LOGIN)
        elif RANK[role] < RANK[needed]:
            expected = (403, "")
        else:
            expected = (200, "")
        if seen != expected:
            problems.append(f"{role or 'anonymous'}: got {seen}, expected {expected}")
        elif expected[0] == 403 and h1(response.text) != FORBIDDEN_H1:
            problems.append(f"{role}: the 403 page says {h1(response.text)!r}")
        elif expected[0] == 200 and "text/html" in response.headers.get("content-type", "") \
                and role and team("sqlite")[role].display_name not in response.text:
            problems.append(f"{role}: the page does not show who is signed in")
    # The default language too (every page fetched here passes the page checks of conftest).
    client.cookies.set("rp_lang", "sq", domain=HOST, path="/")
    if path not in ("/staff", "/staff/login"):
        assert client.get(url).status_code == 200
    assert not problems, f"GET {url} (guard: {needed}):\n  " + "\n  ".join(problems)


def test_anonymous_htmx_requests_are_sent_to_the_sign_in_page(client):
    url = concrete("/staff/case/{report_id:int}", world(client))
    as_role(client, None)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["hx-redirect"] == LOGIN
    assert response.content == b""


# --- unsafe staff routes, with a valid CSRF token: the guard still decides -------------------

@pytest.mark.parametrize("path, method, handler", STAFF_UNSAFE, ids=[f"{m} {p}" for p, m, _ in STAFF_UNSAFE])
def test_unsafe_staff_route_by_role(client, path, method, handler):
    url = concrete(path, world(client))
    needed = minimum_role(handler)
    token = page_token(client, LOGIN)  # a valid CSRF token, signed out
    before = len(rows(AuditEntry))
    problems = []
    for role in (None, *ROLES):
        if role is not None and RANK[role] >= RANK[needed]:
            continue  # allowed: what the action does is tested elsewhere
        as_role(client, role)
        response = client.request(method, url, data={"_csrf_token": token})
        seen = (response.status_code, response.headers.get("location", ""))
        expected = (303, LOGIN) if role is None else (403, "")
        if seen != expected:
            problems.append(f"{role or 'anonymous'}: got {seen}, expected {expected}")
    assert not problems, f"{method} {url} (guard: {needed}):\n  " + "\n  ".join(problems)
    assert len(rows(AuditEntry)) == before, "a refused request changed something"


# --- every unsafe route of the app without a CSRF token -> 403 and the explanatory page --------

@pytest.mark.parametrize("path, method", UNSAFE_ROUTES, ids=[f"{m} {p}" for p, m in UNSAFE_ROUTES])
def test_unsafe_route_without_csrf_token_is_refused(client, path, method):
    url = concrete(path, world(client))
    as_role(client, "admin")  # signed in with the highest role: only CSRF can stop it
    page_token(client, "/staff/inbox")  # the CSRF cookie is there, as in a real browser
    before = len(rows(AuditEntry))
    attempts = {
        "no token": {"data": {"x": "1"}},
        "wrong token": {"data": {"_csrf_token": "forged-token", "x": "1"}},
        "htmx, no token": {"data": {"x": "1"}, "headers": {"HX-Request": "true"}},
    }
    for name, options in attempts.items():
        response = client.request(method, url, **options)
        if path in CSRF_EXEMPT:  # not refused for the token (/report/deliver: 422, not a report)
            assert response.status_code < 400 or (path == "/report/deliver"
                                                  and response.status_code == 422), (
                name, response.status_code)
            continue
        assert response.status_code == 403, (name, response.status_code, response.text[:300])
        if "headers" in options:
            assert "<html" not in response.text and response.headers["hx-retarget"] == "#main"
            assert re.search(rf"<h1[^>]*>{CSRF_H1}</h1>", response.text)
        else:
            assert h1(response.text) == CSRF_H1, (name, h1(response.text))
            assert "the form expired" in response.text
    # Without any cookie at all (a forged cross-site form) it is refused too.
    client.cookies.clear()
    english(client)
    response = client.request(method, url, data={"x": "1"})
    if path in CSRF_EXEMPT:
        assert response.status_code == (422 if path == "/report/deliver" else 204)
    else:
        assert response.status_code == 403 and h1(response.text) == CSRF_H1
        assert len(rows(AuditEntry)) == before, "a request without a CSRF token changed something"


def test_only_the_exit_beacon_and_the_outbox_are_exempt():
    exempt = {p for p, m, h in ROUTES if m in UNSAFE and h.opt.get("exclude_from_csrf")}
    assert exempt == CSRF_EXEMPT


def test_sign_out_without_a_token_keeps_the_session(client):
    as_role(client, "counsellor")
    token = client.cookies.get("rp_staff", domain=HOST)
    assert client.post("/staff/logout", data={}).status_code == 403
    session = rows(StaffSession, StaffSession.token_hash == keyed_hash("staff", token))
    assert session and session[0]["expires_at"] > now() + timedelta(hours=1)
    assert client.get("/staff/inbox").status_code == 200
