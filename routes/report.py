"""The report wizard: one URL (/report), one question per step, POST -> 303 -> GET or a swap."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie

import vocabulary as v
from config import get_settings
from forms import report as wizard
from i18n import current_language, easy_read, gettext as _
from routes._http import (DRAFT_COOKIE, cookie, expired, read_form, render, see_other,
                          wants_fragment)
from services import drafts, reports
from services import receipts

DRAFT_MAX_AGE = int(drafts.LIFETIME.total_seconds())


def _choices(step: str, answers: dict) -> list[dict]:
    """The options of a step, in the reader's language."""
    me = answers.get("about", "me") == "me"
    profile = get_settings().profile
    if step == "what":
        easy = easy_read.get()
        return [{"value": c.id, "label": _((c.easy_me if easy and me and c.easy_me else None)
                                            or (c.label_me if me else c.label_other)),
                 "icon": "cat-" + c.id} for c in v.CATEGORIES]
    if step == "county":
        return [{"value": c.id, "label": c.name} for c in profile.counties]
    if step == "municipality":
        county = profile.county(answers.get("county") or "")
        return [{"value": m.id, "label": m.name} for m in (county.municipalities if county else ())]
    if step == "contact":
        return [{"value": c.id, "label": _(_plain(c)), "reveal": f"contact-{c.id}" if c.id != "anonymous" else ""}
                for c in v.CONTACT]
    options = {"who": v.ABOUT, "danger": v.DANGER if me else v.DANGER_OTHER, "when": v.WHEN,
               "age": v.AGE_GROUPS, "needs": v.NEEDS}.get(step, ())
    return [{"value": c.id, "label": _(_plain(c))} for c in options]


def _plain(choice: v.Choice) -> str:
    """A choice's words, plainer in easy read where a plainer wording exists."""
    return choice.easy if easy_read.get() and choice.easy else choice.label


def _summary(answers: dict) -> list[dict]:
    """The check-your-answers rows: question, answer lines, and which step changes it."""
    profile = get_settings().profile
    county = profile.county(answers.get("county") or "")
    town = next((m.name for m in (county.municipalities if county else ())
                 if m.id == answers.get("municipality")), "")
    place = ", ".join(p for p in (town, county.name if county else "") if p)

    def labels(step: str, chosen) -> list[str]:
        chosen = chosen if isinstance(chosen, list) else [chosen]
        return [c["label"] for c in _choices(step, answers) if c["value"] in chosen]

    contact = labels("contact", answers.get("contact"))
    if value := wizard.contact_value(answers):
        contact.append(value)
    needs = labels("needs", answers.get("needs", [])) + [answers.get("needs_other") or ""]
    rows = [("who", labels("who", answers.get("about"))),
            ("what", labels("what", answers.get("categories", []))),
            ("danger", labels("danger", answers.get("in_danger"))),
            ("when", labels("when", answers.get("happened"))),
            ("county", [place] if place else []),
            ("age", labels("age", answers.get("age_group"))),
            ("details", [answers.get("details")] if answers.get("details") else []),
            ("needs", [n for n in needs if n]),
            ("contact", contact)]
    return [{"step": s, "question": _(wizard.SUMMARY_QUESTIONS.get(s) or wizard.question(s, answers)),
             "answer": a} for s, a in rows]


def _step(request: Request, draft: drafts.DraftState, step: str | None = None,
          values: dict | None = None, errors: dict | None = None, status_code: int = 200,
          cookies: list[Cookie] | None = None) -> Response:
    step = step or draft.step
    answers = draft.answers
    context = dict(
        state=step, step=step, number=wizard.NUMBERS[step], total=wizard.TOTAL,
        title=_(wizard.question(step, answers, easy_read.get())),
        values={**answers, **(values or {})},
        errors=errors or {}, choices=_choices(step, answers),
        show_card=answers.get("in_danger") in ("yes", "not_sure") and step != "danger",
    )
    if step == "check":
        context.update(rows=_summary(answers), idempotency_key=draft.idempotency_key,
                       hidden_answers=wizard.hidden_answers(answers))
    return render(request, "report/page.html", block="step", status_code=status_code,
                  cookies=cookies, **context)


def _intro(request: Request, expired_draft: bool = False) -> Response:
    return render(request, "report/page.html", block="step", state="intro",
                  title=_("Report what is happening"), errors={}, expired=expired_draft)


def _receipt(request: Request, code: str | None, urgent: bool, forget_draft: bool = True) -> Response:
    """Shown once: the draft is already gone when this renders."""
    return render(request, "report/page.html", block="step", state="receipt",
                  title=_("Your report was sent"), errors={}, urgent=urgent,
                  code_groups=receipts.groups(code) if code else [],
                  cookies=[expired(DRAFT_COOKIE)] if forget_draft else [])


def _next(request: Request, draft: drafts.DraftState) -> Response:
    return _step(request, draft) if wants_fragment(request) else see_other("/report")


@get("/report", name="report.page")
async def page(request: Request) -> Response:
    token = request.cookies.get(DRAFT_COOKIE)
    draft = await drafts.load(token)
    if draft is None:
        return _intro(request, expired_draft=bool(token))
    if draft.report_id is not None:
        shown = await reports.receipt(draft.report_id, draft.idempotency_key)
        await drafts.discard(token)
        return _receipt(request, shown.code, shown.urgent)
    return _step(request, draft)


@post("/report/start", name="report.start", status_code=200)
async def start(request: Request) -> Response:
    draft = await drafts.load(request.cookies.get(DRAFT_COOKIE))
    cookies = []
    if draft is None or draft.report_id is not None:
        token, draft = await drafts.start()
        cookies = [cookie(DRAFT_COOKIE, token, DRAFT_MAX_AGE)]
    if wants_fragment(request):
        return _step(request, draft, cookies=cookies)
    return see_other("/report", cookies=cookies)


async def _current(request: Request) -> drafts.DraftState | None:
    draft = await drafts.load(request.cookies.get(DRAFT_COOKIE))
    return draft if draft is not None and draft.report_id is None else None


@post("/report/answer", name="report.answer", status_code=200)
async def answer(request: Request) -> Response:
    form = await read_form(request)
    draft = await _current(request)
    if draft is None:
        return _intro(request, expired_draft=True)
    step = form.get("step")
    if not step:  # not our form (no step field, or not a form at all): change nothing
        return _step(request, draft)
    if step not in wizard.STEPS or step == "check":
        step = draft.step
    if step == "check":  # nothing to answer there: show it again
        return _step(request, draft)
    result = wizard.validate(step, form, draft.answers, get_settings().profile)
    if not result.ok:
        return _step(request, draft, step, result.values, result.errors, status_code=422)
    draft.answers.update(result.values)
    draft.answers["step"] = wizard.after(step, draft.answers)
    await drafts.save(draft)
    return _next(request, draft)


@post("/report/back", name="report.back", status_code=200)
async def back(request: Request) -> Response:
    draft = await _current(request)
    if draft is None:
        return see_other("/report")
    draft.answers["step"] = wizard.previous_step(draft.step, draft.answers) or draft.step
    draft.answers.pop("returning", None)
    await drafts.save(draft)
    return _next(request, draft)


@post("/report/change", name="report.change", status_code=200)
async def change(request: Request) -> Response:
    form = await read_form(request)
    draft = await _current(request)
    if draft is None:
        return see_other("/report")
    step = form.get("step")
    if step in wizard.STEPS and step != "check":
        draft.answers.update(step=step, returning=True)
        await drafts.save(draft)
    return _next(request, draft)


@post("/report/send", name="report.send", status_code=200)
async def send(request: Request) -> Response:
    form = await read_form(request)
    token = request.cookies.get(DRAFT_COOKIE)
    draft = await _current(request)
    if draft is None or not wizard.is_complete(draft.answers):
        # A replay of a sent report (double submit, retry): the same receipt, never a second report.
        replay = await reports.replay(form.get("idempotency_key")) if form.get("idempotency_key") else None
        if replay is not None:
            return _receipt(request, replay.code, replay.urgent)
        return _step(request, draft) if draft else see_other("/report")
    sent = await reports.submit(draft.answers, draft.idempotency_key, current_language.get(),
                                wizard.contact_value(draft.answers))
    if wants_fragment(request):
        await drafts.discard(token)
        return _receipt(request, sent.code, sent.urgent)
    draft.report_id = sent.report_id
    await drafts.save(draft)
    return see_other("/report")


@post("/report/deliver", name="report.deliver", status_code=200, exclude_from_csrf=True)
async def deliver(request: Request) -> Response:
    """The offline outbox's delivery (app.js or the service worker, maybe hours later): the whole
    report in one form with its idempotency key, so it arrives exactly once and needs no draft.
    No CSRF token: the form's session may be long gone, and delivering an anonymous report acts
    on nobody's behalf (the wizard itself lets anyone send one)."""
    form = await read_form(request)
    result = wizard.validate_all(form, get_settings().profile)
    if not result.ok or not wizard.is_complete(result.values):
        return render(request, "report/page.html", block="step", state="undeliverable",
                      title=_("Your report could not be sent"), errors={}, status_code=422)
    key = result.values.pop("idempotency_key")
    sent = await reports.submit(result.values, key, current_language.get(),
                                wizard.contact_value(result.values))
    token = request.cookies.get(DRAFT_COOKIE)
    draft = await drafts.load(token)
    ours = draft is not None and draft.idempotency_key == key
    if ours:
        await drafts.discard(token)  # its report has arrived: /report starts afresh
    return _receipt(request, sent.code, sent.urgent, forget_draft=ours)  # not a newer draft


ROUTES = [page, start, answer, back, change, send, deliver]
