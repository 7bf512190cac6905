"""Administration (admins only): the services directory and the canned replies."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from config import get_settings
from forms import admin as forms
from i18n import gettext as _
from routes._auth import staff
from routes._http import read_form
from routes.admin import ADMIN, done, notice
from routes.staff import staff_page
from services import directory

NEW_SERVICE = {"active": True, "public": False, "example": False}


def _county_filter(request: Request) -> str:
    county = request.query_params.get("county", "")
    if county == directory.NATIONAL or get_settings().profile.county(county):
        return county
    return ""


@get("/staff/admin/services", name="admin.services", guards=ADMIN)
async def service_list(request: Request) -> Response:
    county = _county_filter(request)
    return staff_page(request, "staff/admin/services.html", title=_("Services directory"),
                      services=await directory.list_services(county), county=county,
                      national=directory.NATIONAL, notice=notice(request))


def _service_page(request: Request, values: dict, service_id: int | None = None, errors=None,
                  status_code=200) -> Response:
    title = _("Edit a service") if service_id else _("Add a service")
    return staff_page(request, "staff/admin/service.html", title=title, service_id=service_id,
                      values=values, errors=errors or {}, status_code=status_code)


@get("/staff/admin/services/new", name="admin.service_new", guards=ADMIN)
async def new_service(request: Request) -> Response:
    return _service_page(request, dict(NEW_SERVICE))


@post("/staff/admin/services", name="admin.service_create", guards=ADMIN, status_code=200)
async def create_service(request: Request) -> Response:
    result = forms.service(await read_form(request), get_settings().profile)
    if not result.ok:
        return _service_page(request, result.values, None, result.errors, 422)
    await directory.create_service(result.values, staff(request))
    return done(request, "admin.services", "service-created")


@get("/staff/admin/services/{service_id:int}", name="admin.service", guards=ADMIN)
async def service_page(request: Request, service_id: FromPath[int]) -> Response:
    service = await directory.get_service(service_id)
    if service is None:
        raise NotFoundException()
    return _service_page(request, service, service_id)


@post("/staff/admin/services/{service_id:int}", name="admin.service_update", guards=ADMIN,
      status_code=200)
async def update_service(request: Request, service_id: FromPath[int]) -> Response:
    result = forms.service(await read_form(request), get_settings().profile)
    if not result.ok:
        return _service_page(request, result.values, service_id, result.errors, 422)
    if not await directory.update_service(service_id, result.values, staff(request)):
        raise NotFoundException()
    return done(request, "admin.services", "service-saved")


def _language_filter(request: Request) -> str:
    language = request.query_params.get("language", "")
    return language if language in get_settings().profile.languages else ""


@get("/staff/admin/replies", name="admin.replies", guards=ADMIN)
async def reply_list(request: Request) -> Response:
    language = _language_filter(request)
    return staff_page(request, "staff/admin/replies.html", title=_("Canned replies"),
                      replies=await directory.list_canned(language), language=language,
                      notice=notice(request))


def _reply_page(request: Request, values: dict, canned_id: int | None = None, errors=None,
                status_code=200) -> Response:
    title = _("Edit a canned reply") if canned_id else _("Add a canned reply")
    return staff_page(request, "staff/admin/reply.html", title=title, canned_id=canned_id,
                      values=values, errors=errors or {}, max_body=forms.MAX_BODY,
                      status_code=status_code)


@get("/staff/admin/replies/new", name="admin.reply_new", guards=ADMIN)
async def new_reply(request: Request) -> Response:
    return _reply_page(request, {"language": _language_filter(request)})


@post("/staff/admin/replies", name="admin.reply_create", guards=ADMIN, status_code=200)
async def create_reply(request: Request) -> Response:
    result = forms.canned(await read_form(request), get_settings().profile)
    if not result.ok:
        return _reply_page(request, result.values, None, result.errors, 422)
    await directory.create_canned(result.values, staff(request))
    return done(request, "admin.replies", "reply-created")


@get("/staff/admin/replies/{canned_id:int}", name="admin.reply", guards=ADMIN)
async def reply_page(request: Request, canned_id: FromPath[int]) -> Response:
    reply = await directory.get_canned(canned_id)
    if reply is None:
        raise NotFoundException()
    return _reply_page(request, reply, canned_id)


@post("/staff/admin/replies/{canned_id:int}", name="admin.reply_update", guards=ADMIN,
      status_code=200)
async def update_reply(request: Request, canned_id: FromPath[int]) -> Response:
    result = forms.canned(await read_form(request), get_settings().profile)
    if not result.ok:
        return _reply_page(request, result.values, canned_id, result.errors, 422)
    if not await directory.update_canned(canned_id, result.values, staff(request)):
        raise NotFoundException()
    return done(request, "admin.replies", "reply-saved")


@post("/staff/admin/replies/{canned_id:int}/active", name="admin.reply_active", guards=ADMIN,
      status_code=200)
async def set_reply_active(request: Request, canned_id: FromPath[int]) -> Response:
    active = (await read_form(request)).get("active") == "1"
    if not await directory.set_canned_active(canned_id, active, staff(request)):
        raise NotFoundException()
    return done(request, "admin.replies", "reply-reactivated" if active else "reply-deactivated")


ROUTES = [service_list, new_service, create_service, service_page, update_service, reply_list,
          new_reply, create_reply, reply_page, update_reply, set_reply_active]
