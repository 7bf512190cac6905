"""Staff accounts: Argon2id passwords, lock-out, and server-side sessions in the database.

Password hashing (argon2-cffi PasswordHasher, Argon2id): time_cost=3, memory_cost=46 MiB,
parallelism=1, measured at about 110 ms to hash or verify on the 2-core reference machine
(RFC 9106 low-memory t=3/64 MiB/p=4: 180 ms; OWASP minimum t=2/19 MiB: 25 ms). Verification runs
off the event loop, at most two at a time so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from db.tables import Account, StaffSession
from i18n import N_
from services import audit
from services._db import keyed_hash, now, write_transaction

ROLES = ("counsellor", "supervisor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
_TOUCH_EVERY = timedelta(seconds=60)

hasher = PasswordHasher(time_cost=3, memory_cost=46 * 1024, parallelism=1)
_verifying = threading.BoundedSemaphore(2)  # per process, whatever the event loop
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))
_COMMON = frozenset(
    line.strip().lower()
    for line in (Path(__file__).with_name("common_passwords.txt")).read_text().splitlines()
    if line.strip() and not line.startswith("#"))


class SignInFailed(Exception):
    """Wrong name or password, locked or inactive: deliberately one error for all."""


class AccountError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: str

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def password_problem(password: str, username: str = "") -> str | None:
    """A msgid saying what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return N_("Use at least 12 characters")
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) <= 3 or (username and username.lower() in lowered):
        return N_("This password is too easy to guess: choose another one")
    return None


def normalise_username(username: str) -> str:
    return " ".join((username or "").split()).lower()[:64]


def _bounded(function, *args):
    with _verifying:
        return function(*args)


async def _verify(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_bounded, hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _hash(password: str) -> str:
    return await asyncio.to_thread(_bounded, hasher.hash, password)


async def create(username: str, display_name: str, role: str, password: str,
                 actor: StaffUser | None = None) -> int:
    username = normalise_username(username)
    if not username:
        raise AccountError("username", N_("Enter a username"))
    if role not in ROLES:
        raise AccountError("role", N_("Choose a role"))
    if problem := password_problem(password, username):
        raise AccountError("password", problem)
    password_hash = await _hash(password)
    async with write_transaction():
        if await Account.exists().where(Account.username == username):
            raise AccountError("username", N_("That username is taken"))
        account = Account(username=username, display_name=display_name.strip()[:120] or username,
                          role=role, password_hash=password_hash, created_at=now())
        await account.save()
        await audit.record(actor, "account.create", f"account:{account.id}", f"{username} ({role})")
    return account.id


async def set_password(account_id: int, password: str, actor: StaffUser | None = None) -> None:
    row = await Account.select(Account.username).where(Account.id == account_id).first()
    if row is None:
        raise AccountError("password", N_("No such account"))
    if problem := password_problem(password, row["username"]):
        raise AccountError("password", problem)
    password_hash = await _hash(password)
    async with write_transaction():
        await Account.update({Account.password_hash: password_hash, Account.failed_attempts: 0,
                              Account.locked_until: None}).where(Account.id == account_id)
        await StaffSession.delete().where(StaffSession.account == account_id)
        await audit.record(actor, "account.password_reset", f"account:{account_id}")


async def authenticate(username: str, password: str) -> str:
    """A new session token for a correct name and password; SignInFailed otherwise."""
    username = normalise_username(username)
    row = await Account.select().where(Account.username == username).first()
    if row is None:
        await _verify(_DUMMY_HASH, password)  # the same time as a real check
        await audit.record(None, "signin.failure", "", "unknown username")
        raise SignInFailed()
    moment = now()
    locked = row["locked_until"] is not None and row["locked_until"] > moment
    ok = await _verify(row["password_hash"], password)
    if locked or not ok or not row["active"]:
        await _failed(row, counted=not locked and not ok)
        raise SignInFailed()
    return await _signed_in(row, password)


async def _failed(row: dict, counted: bool) -> None:
    async with write_transaction():
        if counted:
            failures = row["failed_attempts"] + 1
            values = {Account.failed_attempts: failures}
            if failures >= MAX_FAILURES:
                values = {Account.failed_attempts: 0, Account.locked_until: now() + LOCK_FOR}
                await audit.record(None, "account.locked", f"account:{row['id']}", row["username"])
            await Account.update(values).where(Account.id == row["id"])
        await audit.record(None, "signin.failure", f"account:{row['id']}", row["username"])


async def _signed_in(row: dict, password: str) -> str:
    values = {Account.failed_attempts: 0, Account.locked_until: None, Account.last_login: now()}
    if hasher.check_needs_rehash(row["password_hash"]):
        values[Account.password_hash] = await _hash(password)
    token = secrets.token_urlsafe(32)
    moment = now()
    async with write_transaction():
        await Account.update(values).where(Account.id == row["id"])
        await StaffSession.delete().where(StaffSession.expires_at < moment)
        await StaffSession(token_hash=keyed_hash("staff", token), account=row["id"],
                           created_at=moment, last_seen=moment,
                           expires_at=moment + ABSOLUTE_TIMEOUT).save()
        actor = StaffUser(row["id"], row["username"], row["display_name"], row["role"])
        await audit.record(actor, "signin.success", f"account:{row['id']}")
    return token


# Sessions confirmed in the last few seconds, for requests that may reuse one (chat polls):
# token hash -> (user, when confirmed). Signing out and any change of role or access clear it
# here; another worker may honour a session that just ended for at most the reuse window.
_CONFIRMED: dict[str, tuple[StaffUser, float]] = {}
_CONFIRMED_MAX = 10_000


def forget_confirmed(token_hash: str | None = None) -> None:
    if token_hash is None:
        _CONFIRMED.clear()
    else:
        _CONFIRMED.pop(token_hash, None)


async def session_user(token: str | None, reuse_for: float = 0) -> StaffUser | None:
    """The signed-in user for a session cookie; None when unknown, idle too long or expired.
    With `reuse_for` > 0 a session confirmed less than that many seconds ago is trusted
    without reading the database (an idle chat poll costs no query)."""
    if not token:
        return None
    token_hash = keyed_hash("staff", token)
    if reuse_for > 0 and (seen := _CONFIRMED.get(token_hash)) is not None:
        if time.monotonic() - seen[1] < reuse_for:
            return seen[0]
    user = await _session_user(token_hash)
    if user is None:
        _CONFIRMED.pop(token_hash, None)
    else:
        if len(_CONFIRMED) >= _CONFIRMED_MAX:
            _CONFIRMED.clear()
        _CONFIRMED[token_hash] = (user, time.monotonic())
    return user


async def _session_user(token_hash: str) -> StaffUser | None:
    row = await StaffSession.select(
        StaffSession.id, StaffSession.last_seen, StaffSession.expires_at,
        *StaffSession.account.all_columns(exclude=[Account.password_hash]),
    ).where(StaffSession.token_hash == token_hash).first()
    moment = now()
    if row is None:
        return None
    if (row["expires_at"] <= moment or row["last_seen"] + IDLE_TIMEOUT <= moment
            or not row["account.active"]):
        async with write_transaction():
            await StaffSession.delete().where(StaffSession.id == row["id"])
        return None
    if moment - row["last_seen"] > _TOUCH_EVERY:
        async with write_transaction():
            await StaffSession.update({StaffSession.last_seen: moment}).where(
                StaffSession.id == row["id"])
    return StaffUser(row["account.id"], row["account.username"], row["account.display_name"],
                     row["account.role"])


async def sign_out(token: str | None, user: StaffUser | None) -> None:
    if token:
        forget_confirmed(keyed_hash("staff", token))
        async with write_transaction():
            await StaffSession.delete().where(StaffSession.token_hash == keyed_hash("staff", token))
            if user:
                await audit.record(user, "signout", f"account:{user.id}")


# --- Administration: listing accounts, roles and access (used by routes/admin.py). ---

_LISTED = (Account.id, Account.username, Account.display_name, Account.role, Account.active,
           Account.last_login, Account.locked_until, Account.created_at)


def _with_lock(row: dict, moment) -> dict:
    """`locked_until` only while the lock still holds; an expired one means nothing."""
    if row["locked_until"] is not None and row["locked_until"] <= moment:
        row["locked_until"] = None
    return row


async def list_accounts() -> list[dict]:
    """Every account, active first, without password hashes."""
    rows = await Account.select(*_LISTED).order_by(Account.active, ascending=False).order_by(
        Account.username)
    moment = now()
    return [_with_lock(row, moment) for row in rows]


async def get_account(account_id: int) -> dict | None:
    row = await Account.select(*_LISTED).where(Account.id == account_id).first()
    return _with_lock(row, now()) if row else None


async def set_role(account_id: int, role: str, actor: StaffUser) -> None:
    """Change a role; an admin may not demote themself (so one admin always remains)."""
    forget_confirmed()
    if role not in ROLES:
        raise AccountError("role", N_("Choose a role"))
    if account_id == actor.id and role != actor.role:
        raise AccountError("role", N_("You cannot change your own role. Ask another administrator."))
    async with write_transaction():
        row = await Account.select(Account.role).where(Account.id == account_id).first()
        if row is None:
            raise AccountError("role", N_("No such account"))
        if row["role"] != role:
            await Account.update({Account.role: role}).where(Account.id == account_id)
            await audit.record(actor, "account.role", f"account:{account_id}",
                               f"{row['role']} -> {role}")


async def set_active(account_id: int, active: bool, actor: StaffUser) -> None:
    """Deactivate (ending every session of the account at once) or reactivate an account."""
    forget_confirmed()
    if account_id == actor.id and not active:
        raise AccountError("active", N_("You cannot deactivate your own account. "
                                        "Ask another administrator."))
    async with write_transaction():
        row = await Account.select(Account.active).where(Account.id == account_id).first()
        if row is None:
            raise AccountError("active", N_("No such account"))
        if row["active"] == active:
            return
        values = {Account.active: active}
        if active:  # a fresh start: no lock-out carried over from before
            values.update({Account.failed_attempts: 0, Account.locked_until: None})
        await Account.update(values).where(Account.id == account_id)
        if not active:
            await StaffSession.delete().where(StaffSession.account == account_id)
        await audit.record(actor, "account.reactivate" if active else "account.deactivate",
                           f"account:{account_id}")


async def online(exclude_id: int | None = None) -> list[dict]:
    """Staff signed in and active within the idle limit (for a warm chat hand-over)."""
    moment = now()
    rows = await StaffSession.select(
        StaffSession.account.id.as_alias("id"),
        StaffSession.account.display_name.as_alias("display_name"),
    ).where((StaffSession.expires_at > moment) & (StaffSession.last_seen > moment - IDLE_TIMEOUT)
            & (StaffSession.account.active == True))  # noqa: E712
    people = {r["id"]: r["display_name"] for r in rows if r["id"] != exclude_id}
    return [{"id": i, "display_name": n} for i, n in sorted(people.items(), key=lambda p: p[1])]
