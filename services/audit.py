"""The audit log: who did what, when. The application only ever inserts into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from piccolo.columns.combination import WhereRaw

from db.tables import Account, AuditEntry
from services._db import day_start, now


PAGE_SIZE = 50


class Actor(Protocol):
    id: int
    display_name: str


async def record(actor: Actor | None, action: str, target: str = "", detail: str = "") -> None:
    """Write one entry; call it inside the transaction of the change it records."""
    await AuditEntry(at=now(), actor=actor.id if actor else None,
                     actor_name=actor.display_name if actor else "", action=action,
                     target=target[:60], detail=detail[:2000]).save()


# The audit log, read-only: nothing below (nor anywhere in the app) updates or deletes entries.

@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""  # an account id, "none" for entries made by nobody signed in, "" for all
    start: date | None = None
    end: date | None = None
    target: str = ""  # a part of the target, any case


@dataclass(frozen=True)
class AuditPage:
    entries: list[dict]
    older: int | None  # `before` of the next older page, if there is one
    newer: int | None  # `after` of the next newer page, if there is one


def _audit_where(filters: AuditFilters) -> list:
    conditions = []
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.actor == "none":
        conditions.append(AuditEntry.actor.is_null())
    elif filters.actor.isascii() and filters.actor.isdigit() and len(filters.actor) < 10:
        conditions.append(AuditEntry.actor == int(filters.actor))
    if filters.start:
        conditions.append(AuditEntry.at >= day_start(filters.start))
    if filters.end:
        conditions.append(AuditEntry.at < day_start(filters.end + timedelta(days=1)))
    if filters.target:
        pattern = "".join("\\" + c if c in "\\%_" else c for c in filters.target.lower())
        # LIKE with an explicit ESCAPE behaves the same on SQLite and PostgreSQL.
        like = "lower(audit_entry.target) LIKE {} ESCAPE '\\'"
        conditions.append(WhereRaw(like, f"%{pattern}%"))
    return conditions


def _audit_query(query, conditions: list):
    for condition in conditions:
        query = query.where(condition)
    return query


async def _audit_exists(conditions: list, beyond) -> bool:
    return await _audit_query(AuditEntry.exists(), [*conditions, beyond])


async def audit_entries(filters: AuditFilters, before: int | None = None,
                        after: int | None = None) -> AuditPage:
    """One page of entries, newest first: older than `before`, or newer than `after`."""
    conditions = _audit_where(filters)
    columns = (AuditEntry.id, AuditEntry.at, AuditEntry.actor_name, AuditEntry.action,
               AuditEntry.target, AuditEntry.detail)
    query = _audit_query(AuditEntry.select(*columns), conditions).limit(PAGE_SIZE + 1)
    if after is not None:
        rows = await query.where(AuditEntry.id > after).order_by(AuditEntry.id)
        entries = rows[:PAGE_SIZE][::-1]
    else:
        if before is not None:
            query = query.where(AuditEntry.id < before)
        rows = await query.order_by(AuditEntry.id, ascending=False)
        entries = rows[:PAGE_SIZE]
    if not entries:
        return AuditPage([], None, None)
    newest, oldest, full = entries[0]["id"], entries[-1]["id"], len(rows) > PAGE_SIZE
    if after is None:
        older = full
        newer = before is not None and await _audit_exists(conditions, AuditEntry.id > newest)
    else:
        older, newer = await _audit_exists(conditions, AuditEntry.id < oldest), full
    return AuditPage(entries, oldest if older else None, newest if newer else None)


async def audit_choices() -> tuple[list[str], list[dict]]:
    """The actions present in the log, and the staff accounts, for the filter form."""
    actions = await AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    accounts = await Account.select(Account.id, Account.username, Account.display_name).order_by(
        Account.display_name)
    return [row["action"] for row in actions], accounts
