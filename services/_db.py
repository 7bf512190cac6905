"""Transactions and time, the two things every service needs."""

from __future__ import annotations

import hashlib
import hmac
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from db.tables import Report

from config import get_settings


def now() -> datetime:
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().profile.timezone)


def day_start(day: date) -> datetime:
    """The UTC instant a local calendar day of the helpline begins."""
    return datetime.combine(day, time(), local_zone()).astimezone(UTC)


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of a token with the installation secret: cookies and keys are never stored raw."""
    key = hmac.new(get_settings().secret, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@asynccontextmanager
async def write_transaction():
    """A write transaction; IMMEDIATE on SQLite, where DEFERRED read-then-write deadlocks."""
    engine = Report._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as tx:
            yield tx
    else:
        async with engine.transaction() as tx:
            yield tx
