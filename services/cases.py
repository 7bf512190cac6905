"""Case work: the inbox list, the case file, and every counsellor action, each one audited."""

from __future__ import annotations

from dataclasses import dataclass

from db.tables import Account, Referral, Report, ReportEvent, Service
from i18n import N_
from services import audit, inbox
from services._db import now, write_transaction

STATUSES = ("new", "open", "referred", "closed")
ACTIVE = ("new", "open", "referred")
GENDERS = ("girl", "boy", "other")
REFERRAL_STATUSES = ("sent", "accepted", "done", "declined")
# A staff status change and the milestone the reporter then sees.
MILESTONE = {"open": "helping", "referred": "referred", "closed": "closed"}
ALLOWED = {("new", "open"), ("new", "closed"), ("open", "closed"), ("referred", "closed"),
           ("referred", "open"), ("closed", "open")}
# Only a referral moves a case to "referred" (a closed case stays closed).
REFERRAL_MOVES = {("new", "referred"), ("open", "referred"), ("referred", "referred")}


class CaseError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyClaimed(CaseError):
    def __init__(self, holder: str):
        super().__init__(N_("%(name)s already has this case."))
        self.holder = holder


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""  # "" = every active case
    category: str = ""
    county: str = ""
    mine: bool = False
    urgent: bool = False


async def inbox_rows(filters: InboxFilters, user_id: int, limit: int = 200) -> list[dict]:
    """Urgent first, then oldest first."""
    query = Report.select(
        Report.id, Report.reference, Report.categories, Report.age_group, Report.county,
        Report.status, Report.urgent, Report.created_at, Report.needs,
        Report.assigned_to.display_name.as_alias("assignee"),
    )
    query = query.where(Report.status == filters.status if filters.status
                        else Report.status.is_in(list(ACTIVE)))
    if filters.category:
        query = query.where(Report.categories.like(f"%{filters.category}%"))
    if filters.county:
        query = query.where(Report.county == filters.county)
    if filters.mine:
        query = query.where(Report.assigned_to == user_id)
    if filters.urgent:
        query = query.where(Report.urgent == True)  # noqa: E712 (a SQL expression)
    return await query.order_by(Report.urgent, ascending=False).order_by(Report.created_at).limit(limit)


async def case_file(report_id: int) -> dict | None:
    report = await Report.select(
        *Report.all_columns(exclude=[Report.receipt_hash, Report.idempotency_hash,
                                     Report.receipt_sealed]),
        Report.assigned_to.display_name.as_alias("assignee"),
    ).where(Report.id == report_id).first()
    if report is None:
        return None
    report["events"] = await ReportEvent.select(
        *ReportEvent.all_columns(), ReportEvent.actor.display_name.as_alias("actor_name"),
    ).where(ReportEvent.report == report_id).order_by(ReportEvent.id)
    report["referrals"] = await Referral.select(
        *Referral.all_columns(), Referral.service.name.as_alias("service_name"),
        Referral.service.kind.as_alias("service_kind"), Referral.service.phone.as_alias("service_phone"),
    ).where(Referral.report == report_id).order_by(Referral.id)
    return report


async def staff_members() -> list[dict]:
    return await Account.select(Account.id, Account.display_name, Account.role).where(
        Account.active == True).order_by(Account.display_name)  # noqa: E712


async def _event(report_id: int, kind: str, actor, status: str = "", body: str = "") -> None:
    await ReportEvent(report=report_id, kind=kind, status=status, body=body, actor=actor.id,
                      created_at=now()).save()


async def _mark_read(report_id: int, actor) -> None:
    """"Read by a counsellor", once, and never after a later milestone (it would step back)."""
    if not await ReportEvent.exists().where((ReportEvent.report == report_id)
                                            & (ReportEvent.kind == "status")
                                            & (ReportEvent.status != "received")):
        await _event(report_id, "status", actor, status="read")


async def _require(report_id: int) -> dict:
    row = await Report.select(Report.id, Report.status, Report.assigned_to,
                              Report.reference).where(Report.id == report_id).first()
    if row is None:
        raise CaseError(N_("This case does not exist."))
    return row


async def view(report_id: int, user) -> None:
    """Opening a case: audited; the first time, the reporter sees "read by a counsellor"."""
    async with write_transaction():
        await _require(report_id)
        await audit.record(user, "case.view", f"report:{report_id}")
        await _mark_read(report_id, user)


async def claim(report_id: int, user) -> None:
    """Exactly one of two counsellors claiming at once wins; the other learns who has it."""
    async with write_transaction():
        await _require(report_id)
        won = await Report.update({Report.assigned_to: user.id, Report.updated_at: now()}).where(
            (Report.id == report_id) & Report.assigned_to.is_null()).returning(Report.id)
        if won:
            opened = await Report.update({Report.status: "open"}).where(
                (Report.id == report_id) & (Report.status == "new")).returning(Report.id)
            await _mark_read(report_id, user)
            await _event(report_id, "assigned", user, body=user.display_name)
            if opened:  # a referred or closed case keeps the reporter's later milestone
                await _event(report_id, "status", user, status="helping")
            await audit.record(user, "case.claim", f"report:{report_id}")
            await inbox.bump()
            return
    holder = await Report.select(Report.assigned_to.display_name.as_alias("name"),
                                 Report.assigned_to).where(Report.id == report_id).first()
    if holder["assigned_to"] != user.id:
        raise AlreadyClaimed(holder["name"] or "")


async def assign(report_id: int, account_id: int | None, user) -> None:
    """Hand a case to someone (or back to the queue): supervisors, or whoever has it now."""
    async with write_transaction():
        row = await _require(report_id)
        if not (user.can("supervisor") or row["assigned_to"] == user.id):
            raise CaseError(N_("Only a supervisor or the counsellor who has the case can reassign it."))
        name = ""
        if account_id is not None:
            target = await Account.select(Account.display_name).where(
                (Account.id == account_id) & (Account.active == True)).first()  # noqa: E712
            if target is None:
                raise CaseError(N_("Choose a member of staff from the list."))
            name = target["display_name"]
        await Report.update({Report.assigned_to: account_id, Report.updated_at: now()}).where(
            Report.id == report_id)
        await _event(report_id, "assigned", user, body=name)
        await audit.record(user, "case.assign", f"report:{report_id}", name or "queue")
        await inbox.bump()


async def set_status(report_id: int, status: str, user) -> None:
    async with write_transaction():
        await _change_status(await _require(report_id), status, user)


async def _change_status(row: dict, status: str, user, referred_kind: str = "") -> None:
    """Inside a write transaction: the staff status, the reporter's milestone, the audit entry."""
    if (row["status"], status) not in ALLOWED | REFERRAL_MOVES:
        raise CaseError(N_("That status change is not possible from here."))
    values = {Report.status: status, Report.updated_at: now()}
    if referred_kind:
        values[Report.referred_kind] = referred_kind
    await Report.update(values).where(Report.id == row["id"])
    await _event(row["id"], "status", user, status=MILESTONE[status])
    await audit.record(user, "case.status", f"report:{row['id']}", f"{row['status']} -> {status}")
    await inbox.bump()


async def add_message(report_id: int, kind: str, body: str, user) -> None:
    """A reply the reporter reads, or an internal note they never see."""
    assert kind in ("counsellor_reply", "internal_note")
    async with write_transaction():
        await _require(report_id)
        await _event(report_id, kind, user, body=body)
        await Report.update({Report.updated_at: now()}).where(Report.id == report_id)
        await audit.record(user, "case.reply" if kind == "counsellor_reply" else "case.note",
                           f"report:{report_id}")


async def refer(report_id: int, service_id: int, note: str, user) -> None:
    service = await Service.select(Service.kind, Service.name).where(
        (Service.id == service_id) & (Service.active == True)).first()  # noqa: E712
    if service is None:
        raise CaseError(N_("Choose a service from the list."))
    moment = now()
    async with write_transaction():  # the referral and the status change, all or nothing
        row = await _require(report_id)
        await Referral(report=report_id, service=service_id, note=note, created_by=user.id,
                       created_at=moment, updated_at=moment).save()
        await audit.record(user, "case.refer", f"report:{report_id}", service["name"])
        if row["status"] != "closed":
            await _change_status(row, "referred", user, referred_kind=service["kind"])


async def update_referral(report_id: int, referral_id: int, status: str, note: str, user) -> None:
    async with write_transaction():
        updated = await Referral.update({Referral.status: status, Referral.note: note,
                                         Referral.updated_at: now()}).where(
            (Referral.id == referral_id) & (Referral.report == report_id)).returning(Referral.id)
        if not updated:
            raise CaseError(N_("This referral does not exist."))
        await _event(report_id, "referral", user, body=status)
        await audit.record(user, "referral.update", f"referral:{referral_id}", status)


async def set_urgency(report_id: int, urgent: bool, reason: str, user) -> None:
    async with write_transaction():
        await _require(report_id)
        await Report.update({Report.urgent: urgent, Report.urgency_reason: reason,
                             Report.updated_at: now()}).where(Report.id == report_id)
        await _event(report_id, "urgency", user, status="urgent" if urgent else "not_urgent",
                     body=reason)
        await audit.record(user, "case.urgency", f"report:{report_id}",
                           f"{'urgent' if urgent else 'not urgent'}: {reason}")
        await inbox.bump()


async def set_gender(report_id: int, gender: str, user) -> None:
    async with write_transaction():
        await _require(report_id)
        await Report.update({Report.gender: gender}).where(Report.id == report_id)
        await audit.record(user, "case.gender", f"report:{report_id}", gender or "unknown")
