"""The services directory (where counsellors refer children) and the canned replies.

Admins edit both; counsellors read them through `services_for` and `canned_replies`.
A service with no county is national; with a county and no municipality it serves the county.
"""

from __future__ import annotations

import re
from collections import defaultdict

from config import County, Place, get_settings
from db.tables import CannedReply, Service
from services import audit
from services._db import write_transaction
from services.accounts import StaffUser

SERVICE_FIELDS = ("name", "kind", "county", "municipality", "phone", "address", "hours",
                  "public", "example", "active")
CANNED_FIELDS = ("language", "title", "body")
NATIONAL = "national"  # the list filter for services with no county


def _values(table, fields: tuple[str, ...], values: dict) -> dict:
    """Column -> value for the editable fields only: nothing else can be written through here."""
    return {getattr(table, name): values[name] for name in fields if name in values}


def _detail(values: dict, name_field: str) -> str:
    """What the audit entry of an update says: the (new) name, or what happened to the flag."""
    if name_field in values:
        return values[name_field]
    return "reactivated" if values.get("active") else "deactivated"


# --- Services ---

async def list_services(county: str = "") -> list[dict]:
    """All services, inactive ones included; `county` narrows to one county or to NATIONAL."""
    query = Service.select().order_by(Service.county).order_by(Service.municipality).order_by(
        Service.name)
    if county:
        query = query.where(Service.county == ("" if county == NATIONAL else county))
    return await query


async def get_service(service_id: int) -> dict | None:
    return await Service.select().where(Service.id == service_id).first()


async def create_service(values: dict, actor: StaffUser) -> int:
    async with write_transaction():
        service = Service(**{name: values[name] for name in SERVICE_FIELDS if name in values})
        await service.save()
        await audit.record(actor, "service.create", f"service:{service.id}", service.name)
    return service.id


async def update_service(service_id: int, values: dict, actor: StaffUser) -> bool:
    """Save an edited service; False when there is no such service."""
    async with write_transaction():
        if not await Service.exists().where(Service.id == service_id):
            return False
        await Service.update(_values(Service, SERVICE_FIELDS, values)).where(
            Service.id == service_id)
        await audit.record(actor, "service.update", f"service:{service_id}",
                           _detail(values, "name"))
    return True


async def deactivate_service(service_id: int, actor: StaffUser) -> bool:
    return await update_service(service_id, {"active": False}, actor)


async def services_for(county: str, municipality: str) -> list[dict]:
    """Active services for a place, most local first: its municipality's, its county's, national.

    With a county but no municipality, every service in the county is offered; with no county,
    only national services."""
    place = Service.county == ""
    if county and municipality:
        place = place | ((Service.county == county) & (
            (Service.municipality == "") | (Service.municipality == municipality)))
    elif county:
        place = place | (Service.county == county)
    rows = await Service.select().where(Service.active == True).where(place).order_by(  # noqa: E712
        Service.kind).order_by(Service.name)
    # Most local first: a counsellor looks for the help nearest to the child.
    return sorted(rows, key=lambda row: (not row["municipality"], not row["county"]))


# --- The public help page ---

PUBLIC_FIELDS = (Service.name, Service.kind, Service.county, Service.municipality,
                 Service.phone, Service.address, Service.hours, Service.example)


def known_place(county: str, municipality: str) -> tuple[str, str]:
    """A visitor's chosen county and municipality; a value the profile does not know is ''."""
    found = get_settings().profile.county(county)
    if found is None:
        return "", ""
    return county, municipality if any(m.id == municipality for m in found.municipalities) else ""


def tel(phone: str) -> str:
    """The dialable part of a phone number for a tel: link: a leading + and ASCII digits."""
    digits = "".join(re.findall(r"[0-9]", phone))
    if not digits:
        return ""
    return ("+" if phone.strip().startswith("+") else "") + digits


async def public_services(county: str = "", municipality: str = "") -> list[dict]:
    """Public, active services near a place (everywhere when county is ''), as sections:
    [{county: County | None, areas: [{municipality: Place | None, services: [...]}]}],
    national first, then counties and municipalities in the profile's order.

    A chosen county shows national services and its own; a chosen municipality narrows the
    county's to the county-wide ones and its own. Pass values checked by `known_place`."""
    query = Service.select(*PUBLIC_FIELDS).where(
        (Service.public == True) & (Service.active == True))  # noqa: E712
    if county:
        local = Service.county == county
        if municipality:
            local = local & ((Service.municipality == "") | (Service.municipality == municipality))
        query = query.where((Service.county == "") | local)
    places: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in sorted(await query, key=lambda row: row["name"].casefold()):
        place = (row["county"], row["municipality"] if row["county"] else "")  # no county: national
        places[place].append({**row, "tel": tel(row["phone"])})
    sections = []
    for region in (None, *get_settings().profile.counties):
        county_id = region.id if region else ""
        towns = [(town, (county_id, town.id if town else ""))
                 for town in (None, *(region.municipalities if region else ()))]
        areas = [{"municipality": town, "services": places.pop(key)}
                 for town, key in towns if key in places]
        if areas:
            sections.append({"county": region, "areas": areas})
    for (county_id, town_id), found in places.items():  # places the profile no longer names
        sections.append({"county": County(county_id, county_id),
                         "areas": [{"municipality": Place(town_id, town_id) if town_id else None,
                                    "services": found}]})
    return sections


# --- Canned replies ---

async def list_canned(language: str = "") -> list[dict]:
    """All canned replies, inactive ones included, optionally of one language."""
    query = CannedReply.select().order_by(CannedReply.language).order_by(CannedReply.title)
    if language:
        query = query.where(CannedReply.language == language)
    return await query


async def get_canned(canned_id: int) -> dict | None:
    return await CannedReply.select().where(CannedReply.id == canned_id).first()


async def create_canned(values: dict, actor: StaffUser) -> int:
    async with write_transaction():
        reply = CannedReply(**{name: values[name] for name in CANNED_FIELDS})
        await reply.save()
        await audit.record(actor, "canned.create", f"canned:{reply.id}",
                           f"{reply.language}: {reply.title}")
    return reply.id


async def update_canned(canned_id: int, values: dict, actor: StaffUser) -> bool:
    """Save an edited reply (or just its `active` flag); False when there is no such reply."""
    async with write_transaction():
        if not await CannedReply.exists().where(CannedReply.id == canned_id):
            return False
        await CannedReply.update(_values(CannedReply, (*CANNED_FIELDS, "active"), values)).where(
            CannedReply.id == canned_id)
        await audit.record(actor, "canned.update", f"canned:{canned_id}",
                           _detail(values, "title"))
    return True


async def set_canned_active(canned_id: int, active: bool, actor: StaffUser) -> bool:
    return await update_canned(canned_id, {"active": active}, actor)


async def deactivate_canned(canned_id: int, actor: StaffUser) -> bool:
    return await set_canned_active(canned_id, False, actor)


async def canned_replies(language: str) -> list[dict]:
    """The active replies a counsellor can insert, in one language, by title."""
    return await CannedReply.select(CannedReply.id, CannedReply.title, CannedReply.body).where(
        (CannedReply.language == language) & (CannedReply.active == True)  # noqa: E712
    ).order_by(CannedReply.title)
