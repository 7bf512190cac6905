"""Coming back with a receipt code: limited attempts, then a short-lived reporter session."""

from __future__ import annotations

import secrets
from datetime import timedelta

from db.tables import FollowupSession
from services import reports, throttle
from services._db import keyed_hash, now, write_transaction

PER_BROWSER = (5, timedelta(minutes=10))
GLOBAL = (300, timedelta(minutes=10))
SESSION_LIFETIME = timedelta(minutes=30)


class TooManyAttempts(Exception):
    """The browser session (or the whole installation) tried too many codes."""


async def open_with_code(code: str, browser_id: str) -> str | None:
    """A follow-up token for the report with this code, or None for a wrong code."""
    if not await throttle.allow("check:" + keyed_hash("browser", browser_id), *PER_BROWSER):
        raise TooManyAttempts()
    if not await throttle.allow("check:global", *GLOBAL):
        raise TooManyAttempts()
    report_id = await reports.find_by_code(code)
    if report_id is None:
        return None
    token = secrets.token_urlsafe(32)
    moment = now()
    async with write_transaction():
        await FollowupSession.delete().where(FollowupSession.expires_at < moment)
        await FollowupSession(token_hash=keyed_hash("followup", token), report=report_id,
                              expires_at=moment + SESSION_LIFETIME).save()
    return token


async def report_for(token: str | None) -> int | None:
    if not token:
        return None
    row = await FollowupSession.select(FollowupSession.report).where(
        (FollowupSession.token_hash == keyed_hash("followup", token))
        & (FollowupSession.expires_at > now())).first()
    return row["report"] if row else None


async def close(token: str | None) -> None:
    if token:
        async with write_transaction():
            await FollowupSession.delete().where(
                FollowupSession.token_hash == keyed_hash("followup", token))
