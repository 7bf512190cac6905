"""Coming back: the receipt code opens a short reporter session on one URL, /check."""

from __future__ import annotations

import secrets

from litestar import Request, Response, get, post

from forms import followup as forms
from i18n import gettext as _
from routes._http import (BROWSER_COOKIE, FormValues, FOLLOWUP_COOKIE, cookie, expired, read_form, render,
                          see_other, wants_fragment)
from services import followup, reports

SESSION_MAX_AGE = int(followup.SESSION_LIFETIME.total_seconds())


def _code_page(request: Request, values=None, errors=None, status_code=200, cookies=None,
               notice: str = "") -> Response:
    return render(request, "check/page.html", block="check", state="code",
                  title=_("Check my report"), values=values or {}, errors=errors or {},
                  notice=notice, status_code=status_code, cookies=cookies)


async def _report_page(request: Request, report_id: int, values=None, errors=None,
                       status_code=200, cookies=None, notice: str = "") -> Response:
    view = await reports.reporter_view(report_id)
    return render(request, "check/page.html", block="check", state="report",
                  title=_("Your report"), view=view, values=values or {}, errors=errors or {},
                  notice=notice, status_code=status_code, cookies=cookies)


@get("/check", name="check.page")
async def page(request: Request) -> Response:
    report_id = await followup.report_for(request.cookies.get(FOLLOWUP_COOKIE))
    if report_id is not None:
        return await _report_page(request, report_id)
    cookies = []
    if not request.cookies.get(BROWSER_COOKIE):
        cookies.append(cookie(BROWSER_COOKIE, secrets.token_urlsafe(24)))
    return _code_page(request, cookies=cookies)


@post("/check/code", name="check.code", status_code=200)
async def enter_code(request: Request) -> Response:
    form = await read_form(request)
    result = forms.receipt(form)
    values = {"code": form.get("code")[:100], "pending": form.get("pending")}
    if not result.ok:
        return _code_page(request, values, result.errors, status_code=422)
    browser = request.cookies.get(BROWSER_COOKIE) or "no-cookie"
    try:
        token = await followup.open_with_code(result.values["code"], browser)
    except followup.TooManyAttempts:
        return _code_page(request, values, {"code": forms.TOO_MANY}, status_code=429)
    if token is None:
        return _code_page(request, values, {"code": forms.NOT_FOUND}, status_code=422)
    cookies = [cookie(FOLLOWUP_COOKIE, token, SESSION_MAX_AGE)]
    report_id = await followup.report_for(token)
    pending = forms.more_information(FormValues(message=values["pending"]))
    if values["pending"] and pending.ok:  # a message written before the session ran out
        await reports.add_reporter_message(report_id, pending.values["message"])
    if wants_fragment(request):
        return await _report_page(request, report_id, cookies=cookies)
    return see_other("/check", cookies=cookies)


@post("/check/add", name="check.add", status_code=200)
async def add(request: Request) -> Response:
    report_id = await followup.report_for(request.cookies.get(FOLLOWUP_COOKIE))
    form = await read_form(request)
    if report_id is None:
        notice = _("For your safety, you were signed out after 30 minutes. Enter your code again "
                   "and we will add your message.")
        return _code_page(request, {"pending": form.get("message")}, notice=notice)
    result = forms.more_information(form)
    if not result.ok:
        return await _report_page(request, report_id, result.values, result.errors, status_code=422)
    await reports.add_reporter_message(report_id, result.values["message"])
    if wants_fragment(request):
        return await _report_page(request, report_id, notice=_("Thank you. We added this to your report."))
    return see_other("/check")


@post("/check/close", name="check.close", status_code=200)
async def close(request: Request) -> Response:
    await followup.close(request.cookies.get(FOLLOWUP_COOKIE))
    cookies = [expired(FOLLOWUP_COOKIE)]
    if wants_fragment(request):
        return _code_page(request, cookies=cookies, notice=_("You closed your report. Nobody can see it on this phone now."))
    return see_other("/check", cookies=cookies)


ROUTES = [page, enter_code, add, close]
