"""Live chat, the counsellor's side: accept from the inbox, several chats at once, hand-over.

/staff/chats shows every chat the counsellor is in, each a panel with its own log, poller and
composer; /staff/chat/{id} shows one (also after it ended, and for supervisors). Every action
posts normally (POST -> 303) and, with htmx, re-renders just its panel.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from forms import chat as forms
from forms.staff import whole_number
from i18n import N_, gettext as _
from routes._auth import requires_counsellor, staff
from routes._http import empty, read_form, render, see_other, wants_fragment
from routes.inbox import inbox_with_notice
from routes.staff import staff_page
from services import accounts, chat, directory, live

CHAT = "/staff/chat/{conversation_id:int}"
SESSION_REUSE = 10.0  # seconds an idle poll may trust a confirmed session (accounts.session_user)
NOTICES = {
    "note": N_("The note was saved."), "case": N_("The chat is now part of a case."),
    "transfer": N_("The chat was handed over."), "end": N_("The chat has ended."),
}


def _may_see(current: chat.Chat | None, user) -> bool:
    return current is not None and (current.counsellor_id == user.id or user.can("supervisor"))


async def _panel(current: chat.Chat, user, values=None, errors=None, notice: str = "",
                 after: int = 0, shared: dict | None = None) -> dict:
    """Everything one chat panel shows. `shared` keeps what every panel of one page has in
    common (colleagues online, canned replies per language), so it is read once per page."""
    mine = current.status == "active" and current.counsellor_id == user.id
    shared = {} if shared is None else shared
    canned = shared.setdefault("canned", {})  # language -> replies
    if mine and "colleagues" not in shared:
        shared["colleagues"] = await accounts.online(exclude_id=user.id)
    if mine and current.language not in canned:
        canned[current.language] = await directory.canned_replies(current.language)
    return {
        "c": current, "mine": mine, "values": values or {}, "errors": errors or {},
        "notice": notice, "lines": await chat.messages_after(current.id, after, for_child=False),
        "after": await chat.latest_seq(current.id),
        "canned": canned[current.language] if mine else [],
        "colleagues": shared["colleagues"] if mine else [],
        "client_id": chat.new_client_id(),
    }


async def _load(request: Request, conversation_id: int) -> chat.Chat:
    current = await chat.details(conversation_id)
    if not _may_see(current, staff(request)):
        raise NotFoundException()
    return current


async def _panel_response(request: Request, current: chat.Chat, status_code: int = 200,
                          **panel) -> Response:
    """One panel (htmx) or the single-chat page."""
    context = await _panel(current, staff(request), **panel)
    if wants_fragment(request):
        return render(request, "staff/chat_panel.html", status_code=status_code, oob=False,
                      user=staff(request), **context)
    return staff_page(request, "staff/chat.html", title=_("Chat C-%(id)s", id=current.id),
                      section="chats", panels=[context], status_code=status_code, notice="",
                      errors=context["errors"])


@get("/staff/chats", name="staff.chats", guards=[requires_counsellor])
async def my_chats(request: Request) -> Response:
    user = staff(request)
    done = request.query_params.get("done", "")
    panels, shared = [], {}
    for row in await chat.mine(user.id):
        panels.append(await _panel(await chat.details(row["id"]), user, shared=shared))
    return staff_page(request, "staff/chat.html", title=_("My chats"), section="chats",
                      panels=panels, notice=_(NOTICES[done]) if done in NOTICES else "")


@get(CHAT, name="staff.chat", guards=[requires_counsellor])
async def one_chat(request: Request, conversation_id: FromPath[int]) -> Response:
    current = await _load(request, conversation_id)
    done = request.query_params.get("done", "")
    return await _panel_response(request, current,
                                 notice=_(NOTICES[done]) if done in NOTICES else "")


@post(CHAT + "/accept", name="staff.chat.accept", guards=[requires_counsellor], status_code=200)
async def accept(request: Request, conversation_id: FromPath[int]) -> Response:
    """One action; of two counsellors at once, exactly one gets the chat."""
    try:
        await chat.accept(conversation_id, staff(request))
    except chat.AlreadyAccepted as error:
        return await inbox_with_notice(request, _(error.message, name=error.holder))
    except chat.ChatError as error:
        return await inbox_with_notice(request, _(error.message))
    return see_other(f"/staff/chats#chat-{conversation_id}")


@get(CHAT + "/messages", name="staff.chat.messages", guards=[requires_counsellor],
     reuse_session=SESSION_REUSE)
async def messages(request: Request, conversation_id: FromPath[int]) -> Response:
    """Like the child's poll: 204 from memory while nothing is new. Opened as a page: the chat."""
    if not wants_fragment(request):
        return await _panel_response(request, await _load(request, conversation_id))
    after = forms.after(request.query_params.get("after"))
    latest = await live.HUB.current(conversation_id, lambda: chat.latest_seq(conversation_id))
    if latest <= after:
        return empty(204)
    current = await _load(request, conversation_id)
    return await _updates(request, current, after, request.query_params.get("st", ""))


async def _updates(request: Request, current: chat.Chat, after: int, known_status: str) -> Response:
    """New lines and the cursor; the whole panel again when the chat's state has changed."""
    status_code = 286 if current.status == "ended" else 200  # 286: stop polling
    if current.status != known_status:
        return render(request, "staff/chat_updates.html", status_code=status_code, oob=True,
                      known_status=known_status, user=staff(request),
                      **await _panel(current, staff(request)))
    lines = await chat.messages_after(current.id, after, for_child=False)
    latest = max([after, await chat.latest_seq(current.id)] + [line.seq for line in lines])
    return render(request, "staff/chat_updates.html", c=current, lines=lines, after=latest,
                  known_status=known_status, status_code=status_code)


async def _act(request: Request, current: chat.Chat, done: str, action, values: dict) -> Response:
    try:
        await action()
    except chat.ChatError as error:
        return await _panel_response(request, current, 409, values=values,
                                     errors={f"chat-{current.id}-title": error.message})
    if not wants_fragment(request):
        mine = await chat.details(current.id)
        if mine.status == "active" and mine.counsellor_id == staff(request).id:
            return see_other(f"/staff/chats?done={done}#chat-{current.id}")
        return see_other(f"/staff/chat/{current.id}?done={done}")
    return await _panel_response(request, await chat.details(current.id), notice=_(NOTICES[done]))


def _field_errors(current: chat.Chat, errors: dict) -> dict:
    """Field names carry the chat id on the page (several panels, unique ids)."""
    return {f"{name}-{current.id}": message for name, message in errors.items()}


@post(CHAT + "/send", name="staff.chat.send", guards=[requires_counsellor], status_code=200)
async def send(request: Request, conversation_id: FromPath[int]) -> Response:
    current = await _load(request, conversation_id)
    form = await read_form(request)
    result = forms.message(form)
    if result.ok:
        try:
            await chat.post(current.id, "counsellor", result.values["message"],
                            result.values["client_id"], actor=staff(request))
        except chat.ChatError as error:
            result.errors["message"] = error.message
    if not result.ok:
        response = await _panel_response(request, current, 422, values=result.values,
                                         errors=_field_errors(current, result.errors))
        response.headers.update({"HX-Retarget": f"#chat-{current.id}", "HX-Reswap": "outerHTML"})
        return response
    if not wants_fragment(request):
        return see_other(f"/staff/chats#chat-{current.id}")
    return await _updates(request, await chat.details(current.id), forms.after(form.get("after")),
                          form.get("st"))


@post(CHAT + "/canned", name="staff.chat.canned", guards=[requires_counsellor], status_code=200)
async def canned(request: Request, conversation_id: FromPath[int]) -> Response:
    """Put a canned reply into the message box, to edit before sending (nothing is sent)."""
    current = await _load(request, conversation_id)
    chosen = whole_number((await read_form(request)).get("canned"))
    replies = {c["id"]: c["body"] for c in await directory.canned_replies(current.language)}
    if chosen not in replies:
        return await _panel_response(request, current, 422, errors=_field_errors(
            current, {"canned": N_("Choose a canned reply")}))
    return await _panel_response(request, current, values={"message": replies[chosen]})


@post(CHAT + "/note", name="staff.chat.note", guards=[requires_counsellor], status_code=200)
async def note(request: Request, conversation_id: FromPath[int]) -> Response:
    current = await _load(request, conversation_id)
    result = forms.note(await read_form(request))
    if not result.ok:
        return await _panel_response(request, current, 422, values=result.values,
                                     errors=_field_errors(current, result.errors))
    return await _act(request, current, "note", lambda: chat.post(
        current.id, "counsellor", result.values["note"], None, actor=staff(request), kind="note"),
        result.values)


@post(CHAT + "/end", name="staff.chat.end", guards=[requires_counsellor], status_code=200)
async def end(request: Request, conversation_id: FromPath[int]) -> Response:
    current = await _load(request, conversation_id)
    return await _act(request, current, "end",
                      lambda: chat.end(current.id, "counsellor", staff(request)), {})


@post(CHAT + "/transfer", name="staff.chat.transfer", guards=[requires_counsellor],
      status_code=200)
async def transfer(request: Request, conversation_id: FromPath[int]) -> Response:
    """Warm hand-over to a colleague who is online, with a private note."""
    current = await _load(request, conversation_id)
    user = staff(request)
    colleagues = {p["id"] for p in await accounts.online(exclude_id=user.id)}
    result = forms.transfer(await read_form(request), colleagues)
    if not result.ok:
        return await _panel_response(request, current, 422, values=result.values,
                                     errors=_field_errors(current, result.errors))
    return await _act(request, current, "transfer", lambda: chat.transfer(
        current.id, user, result.values["account"], result.values["handover"]), result.values)


@post(CHAT + "/case", name="staff.chat.case", guards=[requires_counsellor], status_code=200)
async def new_case(request: Request, conversation_id: FromPath[int]) -> Response:
    """A new case from this chat; the transcript joins the case file."""
    current = await _load(request, conversation_id)
    return await _act(request, current, "case",
                      lambda: chat.open_case(current.id, staff(request)), {})


@post(CHAT + "/link", name="staff.chat.link", guards=[requires_counsellor], status_code=200)
async def link(request: Request, conversation_id: FromPath[int]) -> Response:
    """Join this chat to an existing case by its reference."""
    current = await _load(request, conversation_id)
    result = forms.reference(await read_form(request))
    if result.ok:
        try:
            await chat.link_by_reference(current.id, result.values["reference"], staff(request))
        except chat.ChatError as error:
            result.errors["reference"] = error.message
    if not result.ok:
        return await _panel_response(request, current, 422, values=result.values,
                                     errors=_field_errors(current, result.errors))
    return await _act(request, current, "case", _nothing, result.values)


async def _nothing() -> None:
    """The action already happened (its errors belong to a field, not the whole chat)."""


ROUTES = [my_chats, one_chat, accept, messages, send, canned, note, end, transfer, new_case, link]
