"""Shared helpers for the staff tests: accounts, signing in, a report to work on.

Accounts are made with `accounts.create` on the engine conftest made active. On PostgreSQL the
app (running in the test client's own thread and event loop) holds an asyncpg pool that cannot be
used from another loop, so every direct call here runs with the pool set aside for its duration
(no request is in flight while a test calls these helpers).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from db.tables import Account
from services import accounts, reports
from tests.journey import csrf
from tests.journey import report as child_report

PASSWORD = "Lule-Mali-Det-2026!"  # long, not common, contains no test username
LOGIN = "/staff/login"
INBOX = "/staff/inbox"


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    role: str
    password: str = PASSWORD


@contextmanager
def no_pool():
    """Run direct service calls on fresh connections, never on the app's pool."""
    engine = Account._meta.db
    pool = getattr(engine, "pool", None)
    if pool is not None:
        engine.pool = None
    try:
        yield
    finally:
        if pool is not None:
            engine.pool = pool


def call(coroutine_function, *args, **kwargs):
    """asyncio.run a service function on the active engine, without the app's pool."""
    with no_pool():
        return asyncio.run(coroutine_function(*args, **kwargs))


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def create_account(role: str = "counsellor", username: str | None = None,
                   display_name: str | None = None, password: str = PASSWORD) -> Staff:
    username = username or unique(role[:4] + "-")
    display_name = display_name or f"{role.title()} {uuid.uuid4().hex[:4].upper()}"
    account_id = call(accounts.create, username, display_name, role, password)
    return Staff(account_id, accounts.normalise_username(username), display_name, role, password)


def login_token(client) -> str:
    """The CSRF token of the sign-in page (also sets the CSRF cookie)."""
    response = client.get(LOGIN, follow_redirects=False)
    assert response.status_code == 200, response.status_code
    return csrf(response.text)


def post_login(client, username: str, password: str, headers=None):
    return client.post(LOGIN, data={"_csrf_token": login_token(client), "username": username,
                                    "password": password}, headers=headers or {},
                       follow_redirects=False)


def sign_in(client, account: Staff) -> str:
    """Sign in through the form; returns the new session cookie value."""
    response = post_login(client, account.username, account.password)
    assert response.status_code == 303, (response.status_code, response.text[:500])
    assert response.headers["location"] == INBOX
    token = client.cookies.get("rp_staff")
    assert token
    return token


def page_token(client, path: str) -> str:
    """The CSRF token found on a staff page."""
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 200, (path, response.status_code)
    return csrf(response.text)


@contextmanager
def following(client):
    """The child's journeys expect redirects to be followed, as a browser does."""
    before = client.follow_redirects
    client.follow_redirects = True
    try:
        yield client
    finally:
        client.follow_redirects = before


def manual(client):
    """Staff tests look at every 303 themselves."""
    client.follow_redirects = False
    return client


def new_report(client, answers=None) -> tuple[int, str]:
    """A report made as a child (no JS); returns (report id, receipt code)."""
    with following(client):
        code = child_report(client, answers) if answers else child_report(client)
    assert code, "no receipt code"
    report_id = call(reports.find_by_code, "".join(code.split()))
    assert report_id is not None
    return report_id, code


def text_of(html: str) -> str:
    """Visible-ish text: tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- a team per database, signed in once --------------------------------------------------------

HOST = "testserver.local"  # the Litestar test client's host
_TEAMS: dict[str, dict[str, Staff]] = {}
_TOKENS: dict[tuple[str, int], str] = {}
TEAM_ROLES = (("counsellor", "counsellor"), ("counsellor2", "counsellor"),
              ("supervisor", "supervisor"), ("admin", "admin"))


def team(backend: str) -> dict[str, Staff]:
    """Two counsellors, a supervisor and an admin on this database, made once per test session."""
    if backend not in _TEAMS:
        _TEAMS[backend] = {
            name: create_account(role, display_name=f"{name.title()} {uuid.uuid4().hex[:5]}")
            for name, role in TEAM_ROLES}
    return _TEAMS[backend]


def act_as(client, backend: str, member: Staff) -> None:
    """Sign `member` in on this client, reusing their session when they already have one."""
    key = (backend, member.id)
    for cookie in [c for c in client.cookies.jar if c.name == "rp_staff"]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    if key in _TOKENS:
        client.cookies.set("rp_staff", _TOKENS[key], domain=HOST, path="/")
        return
    _TOKENS[key] = sign_in(client, member)


@contextmanager
def other_browser():
    """Another browser (its own cookies) on a fresh app, used while the test's client is idle.

    It is deliberately not entered: each of its requests then runs on an event loop of its own
    (a fresh portal), so several can run at once from several threads, like separate workers.
    The app's asyncpg pool belongs to the test client's loop, so it is set aside meanwhile and
    every request opens its own connection (SQLite has no pool: nothing changes there).
    """
    from tests.conftest import make_client

    browser = make_client()
    browser.follow_redirects = False
    with no_pool():  # nothing to close: an un-entered test client holds no portal
        yield browser


def english(client) -> None:
    client.cookies.set("rp_lang", "en", domain=HOST, path="/")
