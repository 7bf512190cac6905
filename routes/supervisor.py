"""Supervisor pages: statistics and their CSV export, and the audit log (read-only: GET only)."""

from __future__ import annotations

from litestar import Request, Response, get

from forms import _clean
from i18n import N_
from i18n import gettext as _
from routes._auth import requires_supervisor, staff
from routes.staff import staff_page
from services import audit, stats

# What the audit log calls each action; an action not listed here shows as it is stored.
ACTION_LABELS = {
    "signin.success": N_("Signed in"),
    "signin.failure": N_("Failed sign-in"),
    "signout": N_("Signed out"),
    "account.create": N_("Account created"),
    "account.locked": N_("Account locked after failed sign-ins"),
    "account.password_reset": N_("Password reset"),
    "account.role": N_("Role changed"),
    "account.deactivate": N_("Account deactivated"),
    "account.reactivate": N_("Account reactivated"),
    "case.view": N_("Case viewed"),
    "case.claim": N_("Case claimed"),
    "case.assign": N_("Case assigned"),
    "case.status": N_("Case status changed"),
    "case.reply": N_("Reply sent to the reporter"),
    "case.note": N_("Internal note added"),
    "case.refer": N_("Case referred"),
    "case.urgency": N_("Urgency changed"),
    "case.gender": N_("Gender recorded"),
    "referral.update": N_("Referral updated"),
    "service.create": N_("Service added to the directory"),
    "service.update": N_("Service changed in the directory"),
    "canned.create": N_("Canned reply added"),
    "canned.update": N_("Canned reply changed"),
    "stats.export": N_("Statistics exported"),
}


def _query(request: Request, *names: str) -> dict[str, str]:
    """The named query parameters, cleaned and short; a missing one is ''."""
    return {name: _clean.text(request.query_params.get(name, ""))[:60] for name in names}


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def _stats_page(request: Request, values: dict, result: stats.Stats | None = None,
                errors: dict | None = None) -> Response:
    return staff_page(request, "staff/stats.html", title=_("Statistics"), section="stats",
                      values=values, result=result, errors=errors or {},
                      status_code=422 if errors else 200)


@get("/staff/stats", name="staff.stats", guards=[requires_supervisor])
async def stats_page(request: Request) -> Response:
    values = _query(request, "from", "to", "group")
    period, errors = stats.parse_period(values["from"], values["to"], values["group"])
    if errors:
        return _stats_page(request, values, errors=errors)
    values = {"from": period.start.strftime("%d.%m.%Y"), "to": period.end.strftime("%d.%m.%Y"),
              "group": period.group}
    return _stats_page(request, values, result=await stats.compute(period))


@get("/staff/stats.csv", name="staff.stats_csv", guards=[requires_supervisor])
async def stats_csv(request: Request) -> Response:
    values = _query(request, "from", "to", "group")
    period, errors = stats.parse_period(values["from"], values["to"], values["group"])
    if errors:
        return _stats_page(request, values, errors=errors)
    text = await stats.export(period, staff(request))
    name = f"statistics-{period.start.isoformat()}-{period.end.isoformat()}-{period.group}.csv"
    return Response(text, media_type="text/csv", headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


@get("/staff/audit", name="staff.audit", guards=[requires_supervisor])
async def audit_page(request: Request) -> Response:
    values = _query(request, "action", "who", "from", "to", "target")
    start, end, errors = stats.parse_range(values["from"], values["to"])
    filters = audit.AuditFilters(values["action"], values["who"], start, end, values["target"])
    page = None if errors else await audit.audit_entries(
        filters, _id(request.query_params.get("before")), _id(request.query_params.get("after")))
    actions, accounts = await audit.audit_choices()
    return staff_page(request, "staff/audit.html", title=_("Audit log"), section="audit",
                      values=values, errors=errors, page=page, actions=actions, accounts=accounts,
                      labels=ACTION_LABELS, query={k: val for k, val in values.items() if val},
                      status_code=422 if errors else 200)


ROUTES = [stats_page, stats_csv, audit_page]
