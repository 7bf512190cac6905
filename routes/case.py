"""The case file and every counsellor action on it: POST -> 303 -> GET, or a swap of #case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from forms import staff as forms
from forms.report import Result
from i18n import N_, current_language, gettext as _
from routes._auth import requires_counsellor, staff
from routes._http import read_form, see_other, wants_fragment
from routes.staff import staff_page
from services import cases, chat, directory

NOTICES = {
    "claim": N_("You have this case now."), "assign": N_("The case was handed over."),
    "status": N_("The status was changed."), "reply": N_("Your reply was sent to the reporter."),
    "note": N_("The internal note was saved."), "refer": N_("The referral was recorded."),
    "referral": N_("The referral was updated."), "urgency": N_("The urgency was changed."),
    "gender": N_("Saved."),
}
CASE = "/staff/case/{report_id:int}"


async def _page(request: Request, report_id: int, status_code: int = 200, errors=None,
                notice: str = "", values=None) -> Response:
    case = await cases.case_file(report_id)
    if case is None:
        raise NotFoundException()
    return staff_page(
        request, "staff/case.html", block="case", status_code=status_code, section="inbox",
        title=_("Case %(reference)s", reference=case["reference"]), case=case, errors=errors or {},
        notice=notice, values=values or {}, staff_members=await cases.staff_members(),
        services=await directory.services_for(case["county"], case["municipality"]),
        canned=await directory.canned_replies(case["language"]),  # the reporter's language
        chats=await chat.transcripts(report_id),
        next_statuses=sorted({to for (old, to) in cases.ALLOWED if old == case["status"]}))


async def _act(request: Request, report_id: int, done: str, result: Result,
               action: Callable[[], Awaitable[None]]) -> Response:
    """Validate, act, then show the case again with a notice (or the errors, nothing lost)."""
    if result.ok:
        try:
            await action()
        except cases.CaseError as error:  # about the case as a whole: the summary links to its title
            message = _(error.message, name=getattr(error, "holder", ""))
            return await _page(request, report_id, 409, {"case-title": message}, values=result.values)
        if not wants_fragment(request):
            return see_other(f"/staff/case/{report_id}?done={done}")
        return await _page(request, report_id, notice=_(NOTICES[done]))
    return await _page(request, report_id, 422, result.errors, values=result.values)


@get(CASE, name="staff.case", guards=[requires_counsellor])
async def case_page(request: Request, report_id: FromPath[int]) -> Response:
    try:
        await cases.view(report_id, staff(request))
    except cases.CaseError as error:
        raise NotFoundException() from error
    done = request.query_params.get("done", "")
    return await _page(request, report_id, notice=_(NOTICES[done]) if done in NOTICES else "")


@post(CASE + "/claim", name="staff.case.claim", guards=[requires_counsellor], status_code=200)
async def claim(request: Request, report_id: FromPath[int]) -> Response:
    return await _act(request, report_id, "claim", Result({"claim": ""}),
                      lambda: cases.claim(report_id, staff(request)))


@post(CASE + "/assign", name="staff.case.assign", guards=[requires_counsellor], status_code=200)
async def assign(request: Request, report_id: FromPath[int]) -> Response:
    form = await read_form(request)
    account = forms.whole_number(form.get("account"))
    result = Result({"account": form.get("account")})
    return await _act(request, report_id, "assign", result,
                      lambda: cases.assign(report_id, account, staff(request)))


@post(CASE + "/status", name="staff.case.status", guards=[requires_counsellor], status_code=200)
async def status(request: Request, report_id: FromPath[int]) -> Response:
    result = forms.choice(await read_form(request), "new_status", cases.STATUSES,
                          N_("Choose a status"))
    return await _act(request, report_id, "status", result,
                      lambda: cases.set_status(report_id, result.values["new_status"], staff(request)))


@post(CASE + "/reply", name="staff.case.reply", guards=[requires_counsellor], status_code=200)
async def reply(request: Request, report_id: FromPath[int]) -> Response:
    result = forms.message(await read_form(request), "reply")
    return await _act(request, report_id, "reply", result, lambda: cases.add_message(
        report_id, "counsellor_reply", result.values["reply"], staff(request)))


@post(CASE + "/note", name="staff.case.note", guards=[requires_counsellor], status_code=200)
async def note(request: Request, report_id: FromPath[int]) -> Response:
    result = forms.message(await read_form(request), "note")
    return await _act(request, report_id, "note", result, lambda: cases.add_message(
        report_id, "internal_note", result.values["note"], staff(request)))


@post(CASE + "/canned", name="staff.case.canned", guards=[requires_counsellor], status_code=200)
async def canned(request: Request, report_id: FromPath[int]) -> Response:
    """Put a canned reply into the reply box, to edit before sending (nothing is sent yet)."""
    chosen = forms.whole_number((await read_form(request)).get("canned"))
    case = await cases.case_file(report_id)
    language = case["language"] if case else current_language.get()
    replies = {c["id"]: c["body"] for c in await directory.canned_replies(language)}
    if chosen not in replies:
        return await _page(request, report_id, 422, {"canned": N_("Choose a canned reply")})
    return await _page(request, report_id, values={"reply": replies[chosen]})


@post(CASE + "/refer", name="staff.case.refer", guards=[requires_counsellor], status_code=200)
async def refer(request: Request, report_id: FromPath[int]) -> Response:
    result = forms.referral(await read_form(request))
    return await _act(request, report_id, "refer", result, lambda: cases.refer(
        report_id, result.values["service"], result.values["note"], staff(request)))


@post(CASE + "/referral/{referral_id:int}", name="staff.case.referral",
      guards=[requires_counsellor], status_code=200)
async def referral(request: Request, report_id: FromPath[int], referral_id: FromPath[int]) -> Response:
    form = await read_form(request)
    result = forms.choice(form, "referral_status", cases.REFERRAL_STATUSES, N_("Choose a status"))
    if "referral_status" in result.errors:  # the error links to this referral's own field
        result.errors = {f"referral_status-{referral_id}": result.errors["referral_status"]}
    note_text = forms.message(form, "referral_note").values["referral_note"][:2000]
    return await _act(request, report_id, "referral", result, lambda: cases.update_referral(
        report_id, referral_id, result.values["referral_status"], note_text, staff(request)))


@post(CASE + "/urgency", name="staff.case.urgency", guards=[requires_counsellor], status_code=200)
async def urgency(request: Request, report_id: FromPath[int]) -> Response:
    result = forms.urgency(await read_form(request))
    return await _act(request, report_id, "urgency", result, lambda: cases.set_urgency(
        report_id, result.values["urgent"] == "yes", result.values["reason"], staff(request)))


@post(CASE + "/gender", name="staff.case.gender", guards=[requires_counsellor], status_code=200)
async def gender(request: Request, report_id: FromPath[int]) -> Response:
    result = forms.choice(await read_form(request), "gender", ("", *cases.GENDERS),
                          N_("Choose from the list"))
    return await _act(request, report_id, "gender", result,
                      lambda: cases.set_gender(report_id, result.values["gender"], staff(request)))


ROUTES = [case_page, claim, assign, status, reply, note, canned, refer, referral, urgency, gender]
