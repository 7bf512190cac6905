"""Staff sign-in and sign-out; the page helper every staff route uses."""

from __future__ import annotations

from litestar import Request, Response, get, post

from forms import staff as forms
from i18n import gettext as _
from routes._auth import STAFF_COOKIE, current_staff, requires_counsellor, staff
from routes._http import cookie, expired, read_form, render, see_other
from services import accounts

IDLE_SECONDS = int(accounts.IDLE_TIMEOUT.total_seconds())


def staff_page(request: Request, template: str, block: str | None = None, **context) -> Response:
    """A staff page: the signed-in user and the idle limit are in every one."""
    context.setdefault("errors", {})
    return render(request, template, block=block, user=request.scope["state"].get("staff"),
                  idle_seconds=IDLE_SECONDS, **context)


@get("/staff", name="staff.home")
async def home(request: Request) -> Response:
    return see_other("/staff/inbox" if await current_staff(request) else "/staff/login")


@get("/staff/login", name="staff.login")
async def login_page(request: Request) -> Response:
    if await current_staff(request):
        return see_other("/staff/inbox")
    return staff_page(request, "staff/login.html", title=_("Sign in"), values={})


@post("/staff/login", name="staff.signin", status_code=200)
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    result = forms.sign_in(form)
    if result.ok:
        try:
            token = await accounts.authenticate(result.values["username"], result.values["password"])
        except accounts.SignInFailed:
            result.errors["username"] = forms.SIGN_IN_FAILED
        else:
            # A new token every time: a session id planted before sign-in is never adopted.
            return see_other("/staff/inbox", cookies=[cookie(STAFF_COOKIE, token)])
    return staff_page(request, "staff/login.html", title=_("Sign in"), status_code=422,
                      values={"username": result.values.get("username", "")}, errors=result.errors)


@post("/staff/logout", name="staff.signout", status_code=200)
async def sign_out(request: Request) -> Response:
    await accounts.sign_out(request.cookies.get(STAFF_COOKIE), await current_staff(request))
    return see_other("/staff/login", cookies=[expired(STAFF_COOKIE)])


@post("/staff/keepalive", name="staff.keepalive", status_code=204, guards=[requires_counsellor])
async def keepalive(request: Request) -> None:
    """The guard already touched the session; nothing else to do."""
    staff(request)


ROUTES = [home, login_page, sign_in, sign_out, keepalive]
