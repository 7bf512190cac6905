"""The library editor (supervisors and admins): create, edit, preview, publish, restore.

One form per page. Its buttons are actions: "Preview" shows the rendered page under the form
and saves nothing; "Save draft" adds a version the public does not see; "Publish" adds a
version and publishes it. Every version is kept and can be restored (copied forward as a new
draft) or published; every change is in the audit log (services/library.py).
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from config import get_settings
from forms import library as forms
from forms.staff import whole_number
from i18n import N_, gettext as _
from routes._auth import requires_supervisor, staff
from routes._http import read_form, see_other
from routes.staff import staff_page
from services import library
from services.markdown import render as markdown

PAGE = "/staff/library/{page_id:int}"
NOTICES = {"draft": N_("The draft was saved. The public still sees the published version."),
           "publish": N_("The page is published."), "restore": N_("That version is now the newest draft."),
           "unpublish": N_("The page is hidden from the public.")}


def _editor(request: Request, title: str, values: dict, errors=None, page=None, history=(),
            status_code: int = 200, notice: str = "", preview: bool = False) -> Response:
    return staff_page(
        request, "staff/library_edit.html", title=title, section="library", values=values,
        errors=errors or {}, page=page, history=history, notice=notice, status_code=status_code,
        preview_body=markdown(values.get("body", "")) if preview else "",
        preview_easy=markdown(values.get("easy_read", "")) if preview else "",
        audiences=library.AUDIENCES, topics=library.TOPICS,
        languages=get_settings().profile.languages)


def _values(version: library.Page) -> dict:
    return {"audience": version.audience, "topic": version.topic, "title": version.title,
            "summary": version.summary, "body": version.body, "easy_read": version.easy_read,
            "refs_text": forms.refs_text(version.refs),
            "reviewed_text": version.reviewed.isoformat() if version.reviewed else ""}


def _form(form, new: bool):
    return forms.page(form, get_settings().profile, library.AUDIENCES, library.TOPICS, new)


@get("/staff/library", name="staff.library", guards=[requires_supervisor])
async def index(request: Request) -> Response:
    return staff_page(request, "staff/library.html", title=_("Information library"),
                      section="library", pages=await library.all_pages())


@get("/staff/library/new", name="staff.library.new", guards=[requires_supervisor])
async def new_page(request: Request) -> Response:
    return _editor(request, _("New page"), {"language": get_settings().profile.default_language})


@post("/staff/library/new", name="staff.library.create", guards=[requires_supervisor],
      status_code=200)
async def create(request: Request) -> Response:
    result = _form(await read_form(request), new=True)
    values = result.values
    if not result.ok:
        return _editor(request, _("New page"), values, result.errors, status_code=422)
    if values["action"] == "preview":
        return _editor(request, _("New page"), values, preview=True)
    try:
        page_id = await library.create(values["slug"], values["language"], values, staff(request),
                                       publish=values["action"] == "publish")
    except library.LibraryError as error:
        return _editor(request, _("New page"), values, {"slug": error.message}, status_code=409)
    return see_other(f"/staff/library/{page_id}?done={values['action']}")


async def _load(page_id: int) -> library.Page:
    latest = await library.version(page_id)
    if latest is None:
        raise NotFoundException()
    return latest


@get(PAGE, name="staff.library.page", guards=[requires_supervisor])
async def edit(request: Request, page_id: FromPath[int]) -> Response:
    latest = await _load(page_id)
    done = request.query_params.get("done", "")
    return _editor(request, _("Edit: %(title)s", title=latest.title), _values(latest), page=latest,
                   history=await library.history(page_id),
                   notice=_(NOTICES[done]) if done in NOTICES else "")


@post(PAGE, name="staff.library.save", guards=[requires_supervisor], status_code=200)
async def save(request: Request, page_id: FromPath[int]) -> Response:
    latest = await _load(page_id)
    result = _form(await read_form(request), new=False)
    values = result.values
    title = _("Edit: %(title)s", title=latest.title)
    history = await library.history(page_id)
    if not result.ok:
        return _editor(request, title, values, result.errors, latest, history, 422)
    if values["action"] == "preview":
        return _editor(request, title, values, page=latest, history=history, preview=True)
    await library.save(page_id, values, staff(request), publish=values["action"] == "publish")
    return see_other(f"/staff/library/{page_id}?done={values['action']}")


async def _version_action(request: Request, page_id: int, action) -> Response:
    latest = await _load(page_id)
    number = whole_number((await read_form(request)).get("number"))
    try:
        if number is None:
            raise library.LibraryError(N_("This version does not exist."))
        await action(page_id, number, staff(request))
    except library.LibraryError as error:
        return _editor(request, _("Edit: %(title)s", title=latest.title), _values(latest),
                       {"versions-title": error.message}, latest,
                       await library.history(page_id), 422)
    return see_other(f"/staff/library/{page_id}?done={action.__name__}")


@post(PAGE + "/restore", name="staff.library.restore", guards=[requires_supervisor],
      status_code=200)
async def restore(request: Request, page_id: FromPath[int]) -> Response:
    return await _version_action(request, page_id, library.restore)


@post(PAGE + "/publish", name="staff.library.publish", guards=[requires_supervisor],
      status_code=200)
async def publish(request: Request, page_id: FromPath[int]) -> Response:
    return await _version_action(request, page_id, library.publish)


@post(PAGE + "/unpublish", name="staff.library.unpublish", guards=[requires_supervisor],
      status_code=200)
async def unpublish(request: Request, page_id: FromPath[int]) -> Response:
    await _load(page_id)
    await library.unpublish(page_id, staff(request))
    return see_other(f"/staff/library/{page_id}?done=unpublish")


ROUTES = [index, new_page, create, edit, save, restore, publish, unpublish]
