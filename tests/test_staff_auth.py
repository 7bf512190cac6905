"""Staff sign-in: cookies, one error for every failure, lock-out, fixation, time-outs, rehash,
password rules and the command-line account tools. Database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from db.tables import Account, StaffSession
from forms import staff as forms
from i18n import translations
from services import accounts
from services._db import keyed_hash, now
from tests.dbutil import rows, run
from tests.journey import HX, h1
from tests.staff_helpers import (INBOX, LOGIN, PASSWORD, create_account, login_token, page_token,
                                 manual, post_login, sign_in, unique)

ROOT = Path(__file__).resolve().parents[1]
HOST = "testserver.local"  # the Litestar test client's host


def sq(message: str) -> str:
    """A message as the default language (Albanian) shows it."""
    return translations("sq").gettext(message)


def set_cookies(client, **values: str) -> None:
    """Only these cookies in the jar (the way an attacker or a stolen cookie would arrive)."""
    client.cookies.clear()
    for name, value in values.items():
        client.cookies.set(name, value, domain=HOST, path="/")


def goes_to_login(response) -> bool:
    return response.status_code == 303 and response.headers["location"] == LOGIN


def session_row(token: str) -> dict | None:
    found = rows(StaffSession, StaffSession.token_hash == keyed_hash("staff", token))
    return found[0] if found else None


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def normalised(html: str, username: str) -> str:
    """The page without what legitimately differs between two attempts."""
    html = re.sub(r'name="_csrf_token" value="[^"]+"', "", html)
    return html.replace(f'value="{username}"', 'value=""')


@pytest.fixture
def client(client):
    """The conftest client, looking at every redirect itself."""
    return manual(client)


@pytest.fixture
def counsellor(backend):
    return create_account("counsellor")


# --- signing in ------------------------------------------------------------------------------

def test_sign_in_sets_a_strict_httponly_session_cookie(client, counsellor):
    response = post_login(client, counsellor.username, counsellor.password)
    assert response.status_code == 303
    assert response.headers["location"] == INBOX
    set_cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("rp_staff=")]
    assert len(set_cookie) == 1, response.headers.get_list("set-cookie")
    attributes = [part.strip().lower() for part in set_cookie[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    token = client.cookies.get("rp_staff")
    assert token and len(token) >= 40
    # The token is stored only as a keyed hash.
    stored = session_row(token)
    assert stored and stored["account"] == counsellor.id
    assert not rows(StaffSession, StaffSession.token_hash == token)
    inbox = client.get(INBOX)
    assert inbox.status_code == 200 and counsellor.display_name in inbox.text
    # Signed in, the sign-in page sends you on to the inbox; /staff too.
    assert client.get(LOGIN).headers["location"] == INBOX
    assert client.get("/staff").headers["location"] == INBOX
    last_login = rows(Account, Account.id == counsellor.id)[0]["last_login"]
    assert last_login is not None and now() - last_login < timedelta(minutes=1)


def test_sign_in_is_case_and_space_insensitive_on_the_username(client, counsellor):
    response = post_login(client, f"  {counsellor.username.upper()} ", counsellor.password)
    assert response.status_code == 303


def test_wrong_password_unknown_user_and_inactive_user_look_the_same(client, counsellor):
    inactive = create_account("counsellor")
    run(Account.update({Account.active: False}).where(Account.id == inactive.id))
    attempts = {
        "wrong password": (counsellor.username, PASSWORD + "x"),
        "unknown user": (unique("nobody-"), PASSWORD),
        "inactive user": (inactive.username, PASSWORD),  # with the right password
    }
    pages = {}
    for case, (username, password) in attempts.items():
        response = post_login(client, username, password)
        assert response.status_code == 422, case
        assert "rp_staff" not in response.headers.get("set-cookie", ""), case
        assert h1(response.text) == h1(client.get(LOGIN).text), case
        pages[case] = (error_summary(response.text), normalised(response.text, username))
    summaries = {summary for summary, _ in pages.values()}
    assert len(summaries) == 1, summaries
    (summary,) = summaries
    # In the default language (Albanian), and the same single message in English.
    assert sq(forms.SIGN_IN_FAILED) in html.unescape(summary)
    assert 'href="#username"' in summary
    client.cookies.set("rp_lang", "en", domain=HOST, path="/")
    for username, password in attempts.values():
        english = post_login(client, username, password)
        assert english.status_code == 422
        assert forms.SIGN_IN_FAILED in html.unescape(error_summary(english.text))
    client.cookies.set("rp_lang", "sq", domain=HOST, path="/")
    assert len({page for _, page in pages.values()}) == 1, "the pages differ beyond the username"
    assert not client.cookies.get("rp_staff")
    # The typed username is kept, the password never is.
    response = post_login(client, counsellor.username, "wrong-password-here")
    assert f'value="{counsellor.username}"' in response.text
    assert "wrong-password-here" not in response.text


def test_empty_fields_are_errors_on_both(client):
    response = client.post(LOGIN, data={"_csrf_token": login_token(client), "username": "",
                                        "password": ""})
    assert response.status_code == 422
    assert 'href="#username"' in response.text and 'href="#password"' in response.text


def test_lock_out_after_five_failures_then_unlock(client, counsellor):
    for _ in range(accounts.MAX_FAILURES - 1):
        assert post_login(client, counsellor.username, "not-the-password-1").status_code == 422
    row = rows(Account, Account.id == counsellor.id)[0]
    assert row["failed_attempts"] == accounts.MAX_FAILURES - 1 and row["locked_until"] is None
    wrong = post_login(client, counsellor.username, "not-the-password-1")
    assert wrong.status_code == 422
    row = rows(Account, Account.id == counsellor.id)[0]
    assert row["locked_until"] is not None
    remaining = row["locked_until"] - now()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    # Locked: even the right password fails, with the very same message.
    locked = post_login(client, counsellor.username, counsellor.password)
    assert locked.status_code == 422
    assert error_summary(locked.text) == error_summary(wrong.text)
    assert not client.cookies.get("rp_staff")
    # Once the lock has run out, the right password works again.
    run(Account.update({Account.locked_until: now() - timedelta(seconds=1)})
        .where(Account.id == counsellor.id))
    assert post_login(client, counsellor.username, counsellor.password).status_code == 303
    row = rows(Account, Account.id == counsellor.id)[0]
    assert row["failed_attempts"] == 0 and row["locked_until"] is None


# --- sessions --------------------------------------------------------------------------------

def test_session_fixation_a_planted_cookie_is_never_adopted(client, counsellor):
    planted = "attacker-chosen-session-value-0123456789abcdef"
    login_token(client)  # the CSRF cookie, as a browser would have it
    client.cookies.set("rp_staff", planted, domain=HOST, path="/")
    token = sign_in(client, counsellor)
    assert token != planted
    csrf_cookie = client.cookies.get("rp_csrf")
    set_cookies(client, rp_staff=planted, rp_csrf=csrf_cookie)
    assert goes_to_login(client.get(INBOX))
    assert session_row(planted) is None


def test_session_fixation_with_a_real_session_of_the_attacker(client, counsellor):
    """An attacker plants their own valid session: signing in must not turn it into the victim's."""
    attacker = create_account("counsellor")
    attacker_token = sign_in(client, attacker)
    client.cookies.clear()
    token = login_token(client)  # the victim's sign-in page, then the planted cookie
    client.cookies.set("rp_staff", attacker_token, domain=HOST, path="/")
    response = client.post(LOGIN, data={"_csrf_token": token, "username": counsellor.username,
                                        "password": counsellor.password})
    assert response.status_code == 303
    victim_token = client.cookies.get("rp_staff")
    assert victim_token != attacker_token
    set_cookies(client, rp_staff=victim_token)
    victim_page = client.get(INBOX)
    assert counsellor.display_name in victim_page.text and attacker.display_name not in victim_page.text
    set_cookies(client, rp_staff=attacker_token)
    page = client.get(INBOX)
    assert page.status_code == 200
    assert attacker.display_name in page.text and counsellor.display_name not in page.text


def test_sign_out_deletes_the_server_side_session(client, counsellor):
    token = sign_in(client, counsellor)
    assert session_row(token) is not None
    response = client.post("/staff/logout", data={"_csrf_token": page_token(client, INBOX)})
    assert goes_to_login(response)
    cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith("rp_staff=")]
    assert cleared and ("max-age=0" in cleared[0].lower() or "expires=" in cleared[0].lower())
    assert session_row(token) is None
    set_cookies(client, rp_staff=token)  # a copy of the old cookie
    assert goes_to_login(client.get(INBOX))


def test_idle_timeout(client, counsellor):
    token = sign_in(client, counsellor)
    run(StaffSession.update({StaffSession.last_seen: now() - timedelta(minutes=29)})
        .where(StaffSession.token_hash == keyed_hash("staff", token)))
    assert client.get(INBOX).status_code == 200  # still in time, and the visit counts
    assert now() - session_row(token)["last_seen"] < timedelta(minutes=1)
    run(StaffSession.update({StaffSession.last_seen: now() - timedelta(minutes=31)})
        .where(StaffSession.token_hash == keyed_hash("staff", token)))
    assert goes_to_login(client.get(INBOX))
    assert session_row(token) is None
    # The page says when you will be signed out.
    sign_in(client, counsellor)
    assert 'data-idle-seconds="1800"' in client.get(INBOX).text


def test_idle_timeout_on_an_htmx_request_redirects_the_whole_page(client, counsellor):
    token = sign_in(client, counsellor)
    run(StaffSession.update({StaffSession.last_seen: now() - timedelta(minutes=31)})
        .where(StaffSession.token_hash == keyed_hash("staff", token)))
    response = client.get("/staff/inbox/poll?version=0", headers=HX)
    assert response.headers.get("hx-redirect") == LOGIN


def test_absolute_timeout(client, counsellor):
    token = sign_in(client, counsellor)
    row = session_row(token)
    assert row["expires_at"] - row["created_at"] == accounts.ABSOLUTE_TIMEOUT
    run(StaffSession.update({StaffSession.expires_at: now() - timedelta(seconds=1),
                             StaffSession.last_seen: now()})
        .where(StaffSession.token_hash == keyed_hash("staff", token)))
    assert goes_to_login(client.get(INBOX))
    assert session_row(token) is None


def test_keepalive_needs_a_session_and_touches_it(client, counsellor):
    token = sign_in(client, counsellor)
    run(StaffSession.update({StaffSession.last_seen: now() - timedelta(minutes=20)})
        .where(StaffSession.token_hash == keyed_hash("staff", token)))
    response = client.post("/staff/keepalive", data={"_csrf_token": page_token(client, INBOX)},
                           headers=HX)
    assert response.status_code == 204
    assert now() - session_row(token)["last_seen"] < timedelta(minutes=1)


def test_deactivating_an_account_ends_its_sessions(client, counsellor):
    token = sign_in(client, counsellor)
    run(Account.update({Account.active: False}).where(Account.id == counsellor.id))
    assert goes_to_login(client.get(INBOX))
    assert session_row(token) is None


# --- hashing ---------------------------------------------------------------------------------

def test_weaker_hash_is_replaced_at_sign_in(client):
    account = create_account("counsellor")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(account.password)
    run(Account.update({Account.password_hash: weak}).where(Account.id == account.id))
    assert accounts.hasher.check_needs_rehash(weak)
    sign_in(client, account)
    stored = rows(Account, Account.id == account.id)[0]["password_hash"]
    assert stored != weak
    assert stored.startswith("$argon2id$")
    assert not accounts.hasher.check_needs_rehash(stored)
    assert accounts.hasher.verify(stored, account.password)
    # And the upgraded hash still signs in (without being rewritten again).
    client.cookies.clear()
    sign_in(client, account)
    assert rows(Account, Account.id == account.id)[0]["password_hash"] == stored


def test_hash_parameters_are_the_documented_ones():
    documented = re.search(r"time_cost=(\d+), memory_cost=(\d+) MiB,\s+parallelism=(\d+)",
                           accounts.__doc__)
    assert documented, "services/accounts.py no longer documents its Argon2 parameters"
    t, m, p = (int(x) for x in documented.groups())
    hasher = accounts.hasher
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (t, m * 1024, p)
    assert hasher.hash("x" * 12).startswith("$argon2id$")


def test_a_wrong_password_does_not_rehash(client):
    account = create_account("counsellor")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(account.password)
    run(Account.update({Account.password_hash: weak}).where(Account.id == account.id))
    assert post_login(client, account.username, "not-the-password-at-all").status_code == 422
    assert rows(Account, Account.id == account.id)[0]["password_hash"] == weak


# --- password rules --------------------------------------------------------------------------

@pytest.mark.parametrize("password, username, problem", [
    ("short-pw-11", "", "Use at least 12 characters"),
    ("", "", "Use at least 12 characters"),
    ("password1234", "", "too easy to guess"),
    ("Shqiperia2025", "", "too easy to guess"),  # the list is case-insensitive
    ("aaaaaaaaaaaaaaa", "", "too easy to guess"),
    ("ababababababab", "", "too easy to guess"),
    ("my-arben.kola-secret", "arben.kola", "too easy to guess"),
    ("xARBEN.KOLAx-2026", "arben.kola", "too easy to guess"),
])
def test_password_problems(password, username, problem):
    found = accounts.password_problem(password, username)
    assert found and problem in found


@pytest.mark.parametrize("password", [PASSWORD, "correct horse battery", "Mali-i-Dajtit-7"])
def test_acceptable_passwords(password):
    assert accounts.password_problem(password, "arben.kola") is None


def test_create_refuses_bad_passwords_and_bad_accounts(backend):
    from tests.staff_helpers import call

    name = unique("rules-")
    cases = [
        (dict(password="too-short"), "password"),
        (dict(password="qwerty123456"), "password"),
        (dict(password=f"{name}-is-my-pass"), "password"),
        (dict(role="superuser"), "role"),
        (dict(username="   "), "username"),
    ]
    for change, field in cases:
        arguments = dict(username=name, display_name="Rules", role="counsellor", password=PASSWORD)
        arguments.update(change)
        with pytest.raises(accounts.AccountError) as raised:
            call(accounts.create, **arguments)
        assert raised.value.field == field, change
    assert not rows(Account, Account.username == name)
    call(accounts.create, name, "Rules", "counsellor", PASSWORD)
    with pytest.raises(accounts.AccountError) as raised:
        call(accounts.create, name.upper(), "Again", "counsellor", PASSWORD)
    assert raised.value.field == "username"
    assert len(rows(Account, Account.username == name)) == 1


# --- the command line ------------------------------------------------------------------------

def _cli(env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`python app.py ...` with no controlling terminal, so getpass reads the piped stdin."""
    process = subprocess.Popen([sys.executable, "app.py", *args], cwd=ROOT, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = process.communicate(stdin, timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture
def cli_env():
    data = Path(tempfile.mkdtemp(prefix="raporto-cli-"))
    env = {**os.environ, "RAPORTO_DATA": str(data), "RAPORTO_SECRET": "cli-test-secret",
           "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "SQLITE_PATH"):
        env.pop(name, None)
    migrated = _cli(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    yield env, data / "raporto.sqlite3"


def _account(database: Path, username: str) -> dict | None:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM account WHERE username = ?", (username,)).fetchone()
    return dict(row) if row else None


ADMIN_ANSWERS = "\n".join(["  Drita.Admin ", "Drita Hoxha", "short", PASSWORD, "different-one-123",
                           PASSWORD, PASSWORD]) + "\n"


def test_cli_create_admin(cli_env):
    env, database = cli_env
    # A too-short password and a mismatch are asked again; then the account is made.
    made = _cli(env, "create-admin", stdin=ADMIN_ANSWERS)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Administrator 'drita.admin' created." in made.stdout
    assert sq("Use at least 12 characters") in made.stdout
    assert "The two passwords differ." in made.stdout
    assert PASSWORD not in made.stdout + made.stderr
    row = _account(database, "drita.admin")
    assert row and row["role"] == "admin" and row["display_name"] == "Drita Hoxha" and row["active"]
    assert accounts.hasher.verify(row["password_hash"], PASSWORD)
    with sqlite3.connect(database) as connection:
        actions = [r[0] for r in connection.execute("SELECT action FROM audit_entry")]
    assert "account.create" in actions

    # The same username again: refused, with a clear message, and nothing changed.
    again = _cli(env, "create-admin", stdin="drita.admin\nDrita\n" + f"{PASSWORD}\n" * 2)
    assert again.returncode != 0 and sq("That username is taken") in again.stderr
    assert _account(database, "drita.admin")["password_hash"] == row["password_hash"]


def test_cli_reset_password(cli_env):
    env, database = cli_env
    assert _cli(env, "create-admin", stdin=ADMIN_ANSWERS).returncode == 0
    before = _account(database, "drita.admin")
    new_password = "Bjeshket-e-Namuna-88"
    reset = _cli(env, "reset-password", "Drita.Admin", stdin=f"{new_password}\n" * 2)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "drita.admin" in reset.stdout
    changed = _account(database, "drita.admin")
    assert changed["password_hash"] != before["password_hash"]
    assert accounts.hasher.verify(changed["password_hash"], new_password)
    assert changed["failed_attempts"] == 0 and changed["locked_until"] is None
    with sqlite3.connect(database) as connection:
        actions = [r[0] for r in connection.execute("SELECT action FROM audit_entry")]
    assert "account.password_reset" in actions


def test_cli_reset_password_refuses_what_it_should(cli_env):
    """Usage errors are caught before the database is asked (so these pass despite the bug above)."""
    env, _ = cli_env
    usage = _cli(env, "reset-password")
    assert usage.returncode != 0 and "usage" in usage.stderr
