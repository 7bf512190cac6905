"""Administration (admins only): the overview and staff accounts. Directory: admin_directory.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from forms import admin as forms
from forms.report import Result
from i18n import N_
from i18n import gettext as _
from routes._auth import requires_admin, staff
from routes._http import read_form, see_other
from routes.staff import staff_page
from services import accounts

ADMIN = [requires_admin]

# What a page says after a POST -> 303 -> GET; the key travels in ?done=.
NOTICES = {
    "account-created": N_("The account was created. Give the person their password in person."),
    "role": N_("The role was changed."),
    "password": N_("The new password was set, and the account was signed out everywhere."),
    "deactivated": N_("The account was deactivated, and signed out everywhere."),
    "reactivated": N_("The account was reactivated."),
    "service-created": N_("The service was added to the directory."),
    "service-saved": N_("The service was saved."),
    "reply-created": N_("The canned reply was added."),
    "reply-saved": N_("The canned reply was saved."),
    "reply-deactivated": N_("The canned reply was deactivated: counsellors no longer see it."),
    "reply-reactivated": N_("The canned reply was reactivated."),
}


def notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("done", ""), "")


def done(request: Request, route: str, key: str, **path) -> Response:
    """The 303 after a change, to a page that confirms it."""
    return see_other(f"{request.app.route_reverse(route, **path)}?done={key}")


async def apply(result: Result, change: Callable[[], Awaitable[object]]) -> bool:
    """Make a validated change; an AccountError becomes the error of its field."""
    if not result.ok:
        return False
    try:
        await change()
    except accounts.AccountError as error:
        result.errors[error.field] = error.message
        return False
    return True


@get("/staff/admin", name="admin.home", guards=ADMIN)
async def home(request: Request) -> Response:
    return staff_page(request, "staff/admin/home.html", title=_("Administration"))


@get("/staff/admin/accounts", name="admin.accounts", guards=ADMIN)
async def account_list(request: Request) -> Response:
    return staff_page(request, "staff/admin/accounts.html", title=_("Accounts"),
                      accounts=await accounts.list_accounts(), roles=forms.ROLES,
                      notice=notice(request))


def _new_account_page(request: Request, values=None, errors=None, status_code=200) -> Response:
    return staff_page(request, "staff/admin/account_new.html", title=_("New account"),
                      values=values or {"role": "counsellor"}, errors=errors or {},
                      roles=forms.ROLES, status_code=status_code)


@get("/staff/admin/accounts/new", name="admin.account_new", guards=ADMIN)
async def new_account(request: Request) -> Response:
    return _new_account_page(request)


@post("/staff/admin/accounts", name="admin.account_create", guards=ADMIN, status_code=200)
async def create_account(request: Request) -> Response:
    result = forms.new_account(await read_form(request))
    v = result.values
    if v["password"] and (problem := accounts.password_problem(v["password"], v["username"])):
        result.errors["password"] = problem  # shown with the other errors, not after them
    if result.ok:
        try:
            account_id = await accounts.create(v["username"], v["display_name"], v["role"],
                                               v["password"], staff(request))
        except accounts.AccountError as error:
            result.errors[error.field] = error.message
        else:
            return done(request, "admin.account", "account-created", account_id=account_id)
    return _new_account_page(request, result.values, result.errors, 422)


async def _account_page(request: Request, account_id: int, values=None, errors=None,
                        status_code=200) -> Response:
    account = await accounts.get_account(account_id)
    if account is None:
        raise NotFoundException()
    return staff_page(request, "staff/admin/account.html", title=account["display_name"],
                      account=account, roles=forms.ROLES, is_self=account_id == staff(request).id,
                      values=values or {"role": account["role"]}, errors=errors or {},
                      notice="" if errors else notice(request), status_code=status_code)


@get("/staff/admin/accounts/{account_id:int}", name="admin.account", guards=ADMIN)
async def account_page(request: Request, account_id: FromPath[int]) -> Response:
    return await _account_page(request, account_id)


@post("/staff/admin/accounts/{account_id:int}/role", name="admin.account_role", guards=ADMIN,
      status_code=200)
async def change_role(request: Request, account_id: FromPath[int]) -> Response:
    result = forms.role(await read_form(request))
    if await apply(result, lambda: accounts.set_role(account_id, result.values["role"],
                                                     staff(request))):
        return done(request, "admin.account", "role", account_id=account_id)
    return await _account_page(request, account_id, result.values, result.errors, 422)


@post("/staff/admin/accounts/{account_id:int}/password", name="admin.account_password",
      guards=ADMIN, status_code=200)
async def reset_password(request: Request, account_id: FromPath[int]) -> Response:
    result = forms.password(await read_form(request))
    if await apply(result, lambda: accounts.set_password(account_id, result.values["password"],
                                                         staff(request))):
        return done(request, "admin.account", "password", account_id=account_id)
    return await _account_page(request, account_id, None, result.errors, 422)


@post("/staff/admin/accounts/{account_id:int}/active", name="admin.account_active",
      guards=ADMIN, status_code=200)
async def set_active(request: Request, account_id: FromPath[int]) -> Response:
    active = (await read_form(request)).get("active") == "1"
    result = Result()
    if await apply(result, lambda: accounts.set_active(account_id, active, staff(request))):
        return done(request, "admin.account", "reactivated" if active else "deactivated",
                    account_id=account_id)
    return await _account_page(request, account_id, None, result.errors, 422)


ROUTES = [home, account_list, new_account, create_account, account_page, change_role,
          reset_password, set_active]
