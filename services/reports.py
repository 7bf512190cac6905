"""Reports: sending one exactly once, finding it by receipt code, and what the reporter sees."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asyncpg.exceptions import UniqueViolationError

import vocabulary as v
from db.tables import Report, ReportEvent
from services import inbox, receipts
from services._db import keyed_hash, now, write_transaction

# The only timeline entries a reporter ever sees; internal notes and staff actions never are.
REPORTER_KINDS = ("status", "reporter_message", "counsellor_reply")
# How long a replayed submission (same idempotency key) still shows its receipt again.
REPLAY_WINDOW = timedelta(hours=2)
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class IncompleteReport(Exception):
    """The draft lacks a required answer."""


@dataclass(frozen=True)
class Sent:
    report_id: int
    code: str | None  # None when the receipt can no longer be shown (replay after the window)
    urgent: bool


def is_urgent(answers: dict) -> bool:
    urgent_categories = {c.id for c in v.CATEGORIES if c.always_urgent}
    return answers.get("in_danger") == "yes" or bool(urgent_categories & set(answers["categories"]))


def _new_reference() -> str:
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def _is_duplicate(error: Exception) -> bool:
    return isinstance(error, UniqueViolationError) or "UNIQUE constraint failed" in str(error)


async def _sent(where, idempotency_key: str) -> Sent | None:
    row = await Report.select(Report.id, Report.receipt_sealed, Report.created_at,
                              Report.urgent).where(where).first()
    if row is None:
        return None
    code = None
    if row["receipt_sealed"] and row["created_at"] > now() - REPLAY_WINDOW:
        code = receipts.unseal(row["receipt_sealed"], idempotency_key)
    return Sent(row["id"], code, row["urgent"])


async def _existing(idempotency_hash: str, idempotency_key: str) -> Sent | None:
    return await _sent(Report.idempotency_hash == idempotency_hash, idempotency_key)


async def replay(idempotency_key: str) -> Sent | None:
    """The report an idempotency key already created, with its receipt while still in the window."""
    return await _existing(keyed_hash("idempotency", idempotency_key), idempotency_key)


async def receipt(report_id: int, idempotency_key: str) -> Sent:
    """The receipt to show right after sending (the key is the draft's)."""
    return await _sent(Report.id == report_id, idempotency_key)


async def submit(answers: dict, idempotency_key: str, language: str, contact_value: str,
                 channel: str = "web") -> Sent:
    """Create the report once per idempotency key; a replay gets the same receipt back."""
    idempotency_hash = keyed_hash("idempotency", idempotency_key)
    if (found := await _existing(idempotency_hash, idempotency_key)) is not None:
        return found
    for _ in range(3):
        code = receipts.new_code()
        receipt_hash = await asyncio.to_thread(receipts.hash_code, code)
        try:
            report_id = await _insert(answers, idempotency_hash, receipt_hash,
                                      receipts.seal(code, idempotency_key), language, contact_value,
                                      channel)
            return Sent(report_id, code, is_urgent(answers))
        except Exception as error:  # a concurrent replay won the race, or a code collided
            if not _is_duplicate(error):
                raise
            if (found := await _existing(idempotency_hash, idempotency_key)) is not None:
                return found
    raise RuntimeError("could not allocate a unique receipt code")


async def _insert(answers: dict, idempotency_hash: str, receipt_hash: str, sealed: str,
                  language: str, contact_value: str, channel: str) -> int:
    moment = now()
    report = Report(
        reference=_new_reference(), receipt_hash=receipt_hash, idempotency_hash=idempotency_hash,
        receipt_sealed=sealed, about=answers["about"], categories=",".join(answers["categories"]),
        in_danger=answers["in_danger"], urgent=is_urgent(answers), happened=answers["happened"],
        county=answers.get("county") or "", municipality=answers.get("municipality") or "",
        age_group=answers["age_group"], details=answers.get("details", ""),
        needs=",".join(answers.get("needs", [])), needs_other=answers.get("needs_other", ""),
        contact_method=answers["contact"], contact_value=contact_value, language=language,
        channel=channel, status="new", created_at=moment, updated_at=moment,
    )
    async with write_transaction():
        # Sealed receipts are only for replays shortly after sending: forget older ones.
        await Report.update({Report.receipt_sealed: None}).where(
            (Report.receipt_sealed.is_not_null()) & (Report.created_at < moment - REPLAY_WINDOW))
        await report.save()
        await ReportEvent(report=report.id, kind="status", status="received", created_at=moment).save()
        await inbox.bump()
    return report.id


async def find_by_code(code: str) -> int | None:
    receipt_hash = await asyncio.to_thread(receipts.hash_code, code)
    row = await Report.select(Report.id).where(Report.receipt_hash == receipt_hash).first()
    return row["id"] if row else None


@dataclass(frozen=True)
class Milestone:
    status: str
    label: str
    reached: bool
    at: datetime | None


@dataclass(frozen=True)
class Message:
    author: str  # "reporter" | "counsellor"
    body: str
    at: datetime


@dataclass(frozen=True)
class ReporterView:
    """Only what the reporter may see: no internal notes, no staff names, no service details."""

    status: str
    referred_kind: str
    created_at: datetime
    milestones: tuple[Milestone, ...]
    messages: tuple[Message, ...]


async def reporter_view(report_id: int) -> ReporterView:
    report = await Report.select(Report.referred_kind, Report.created_at).where(
        Report.id == report_id).first()
    events = await ReportEvent.select().where(
        (ReportEvent.report == report_id) & ReportEvent.kind.is_in(list(REPORTER_KINDS))
    ).order_by(ReportEvent.id)
    milestones_seen = [e for e in events if e["kind"] == "status"]
    reached = {e["status"]: e["created_at"] for e in milestones_seen}
    order = [s.id for s in v.STATUSES]
    current = order.index(milestones_seen[-1]["status"]) if milestones_seen else 0
    milestones = tuple(
        Milestone(s.id, s.label, i <= current, reached.get(s.id)) for i, s in enumerate(v.STATUSES)
        if s.id != "referred" or "referred" in reached
    )
    messages = tuple(
        Message("reporter" if e["kind"] == "reporter_message" else "counsellor", e["body"], e["created_at"])
        for e in events if e["kind"] in ("reporter_message", "counsellor_reply")
    )
    return ReporterView(order[current], report["referred_kind"], report["created_at"],
                        milestones, messages)


async def add_reporter_message(report_id: int, body: str) -> None:
    moment = now()
    async with write_transaction():
        await ReportEvent(report=report_id, kind="reporter_message", body=body, created_at=moment).save()
        await Report.update({Report.updated_at: moment}).where(Report.id == report_id)
        await inbox.bump()
