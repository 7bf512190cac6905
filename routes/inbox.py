"""The counsellor's inbox: one screen of waiting work that refreshes itself cheaply."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get

import vocabulary as v
from config import get_settings
from i18n import gettext as _
from routes._auth import requires_counsellor, staff
from routes._http import empty
from routes.staff import staff_page
from services import cases, chat, inbox
from services._db import now


def _filters(request: Request) -> cases.InboxFilters:
    query = request.query_params
    profile = get_settings().profile
    status = query.get("status", "")
    category = query.get("category", "")
    county = query.get("county", "")
    return cases.InboxFilters(
        status=status if status in cases.STATUSES else "",
        category=category if category in v.ids(v.CATEGORIES) else "",
        county=county if profile.county(county) else "",
        mine=query.get("mine") == "1", urgent=query.get("urgent") == "1")


def _query(filters: cases.InboxFilters) -> str:
    values = {"status": filters.status, "category": filters.category, "county": filters.county,
              "mine": "1" if filters.mine else "", "urgent": "1" if filters.urgent else ""}
    return urlencode({k: val for k, val in values.items() if val})


def waited(created_at) -> str:
    minutes = int((now() - created_at).total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    return _("%(h)s h %(m)s min", h=hours, m=mins) if hours else _("%(m)s min", m=mins)


async def _inbox(request: Request, announce: bool = False, status_code: int = 200,
                 **context) -> Response:
    filters = _filters(request)
    rows = await cases.inbox_rows(filters, staff(request).id)
    for row in rows:
        row["waited"] = waited(row["created_at"])
    waiting_chats = await chat.waiting()
    for row in waiting_chats:
        row["waited"] = waited(row["created_at"])
    context.setdefault("notice", "")
    return staff_page(request, "staff/inbox.html", block="inbox" if announce else None,
                      title=_("Inbox"), section="inbox", rows=rows, filters=filters,
                      query=_query(filters), version=await inbox.version(), announce=announce,
                      categories=v.CATEGORIES, counties=get_settings().profile.counties,
                      statuses=cases.STATUSES, waiting_chats=waiting_chats,
                      my_chats=len(await chat.mine(staff(request).id)), status_code=status_code,
                      **context)


async def inbox_with_notice(request: Request, notice: str) -> Response:
    """The inbox with a message about what just failed (e.g. a chat someone else accepted)."""
    return await _inbox(request, status_code=409, notice=notice, errors={"notice": notice})


@get("/staff/inbox", name="staff.inbox", guards=[requires_counsellor])
async def inbox_page(request: Request) -> Response:
    return await _inbox(request)


@get("/staff/inbox/poll", name="staff.inbox.poll", guards=[requires_counsellor])
async def poll(request: Request) -> Response:
    """204 and no body while the version is unchanged: no rendering, one small query."""
    if request.query_params.get("version") == str(await inbox.version()):
        return empty(204)
    return await _inbox(request, announce=True)


ROUTES = [inbox_page, poll]
