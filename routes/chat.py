"""Live chat, the child's side: one URL (/chat), an anonymous cookie, polling that costs nothing.

GET /chat shows whatever state the chat is in: closed hours, the start form, the waiting room,
the conversation, the end, or the receipt of a message left instead. Every form posts
normally (POST -> 303 -> GET /chat) and, with htmx, gets only what changed.

GET /chat/messages?after=<seq>[&q=<queue version>&pos=<place>] answers 204 with no body while
nothing is new, from this worker's memory (services.live): no database query.
"""

from __future__ import annotations

from datetime import timedelta

from litestar import Request, Response, get, post

import vocabulary as v
from forms import chat as forms
from i18n import current_language, easy_read, gettext as _, ngettext
from routes._http import (CHAT_COOKIE, cookie, empty, expired, read_form, render, see_other,
                          wants_fragment)
from services import chat, live, receipts, reports
from services._db import now

TEMPLATE = "chat/page.html"


def _leave_key(token: str) -> str:
    """The idempotency key of "leave a message instead": one report per chat, replays included."""
    return "chat-leave:" + token


def opening_text(moment) -> str:
    """When chat opens next, in words a child understands."""
    opens = chat.next_opening(moment)
    local_now = moment.astimezone(opens.tzinfo)
    hour = opens.strftime("%H:%M")
    if opens.date() == local_now.date():
        return _("Chat opens again today at %(time)s.", time=hour)
    if opens.date() == local_now.date() + timedelta(days=1):
        return _("Chat opens again tomorrow at %(time)s.", time=hour)
    return _("Chat opens again on %(date)s at %(time)s.", date=opens.strftime("%d.%m"), time=hour)


def wait_text(estimate: timedelta | None) -> str:
    """An honest wait estimate from recent accept times, or the plain truth that we cannot say."""
    if estimate is None:
        return _("We cannot say yet how long it will take. Please stay: a counsellor will answer.")
    minutes = round(estimate.total_seconds() / 60)
    if minutes < 1:
        return _("Lately a counsellor has answered in less than a minute.")
    return ngettext("Lately a counsellor has answered in about %(num)s minute.",
                    "Lately a counsellor has answered in about %(num)s minutes.", minutes)


def position_text(position: int) -> str:
    if easy_read.get():
        return (_("You are next. Please wait here.") if position <= 1 else
                _("You are number %(place)s. Please wait here.", place=position))
    if position <= 1:
        return _("You are next in the queue.")
    return _("You are number %(place)s in the queue.", place=position)


async def _lines_context(chat_row: chat.Chat, after: int = 0) -> dict:
    lines = await chat.messages_after(chat_row.id, after, for_child=True)
    latest = max([after, await chat.latest_seq(chat_row.id)] + [line.seq for line in lines])
    context = {"chat": chat_row, "lines": lines, "after": latest, "q": None, "position": None}
    if chat_row.status == "waiting":
        context["q"] = await chat.queue_version()
        context["position"] = await chat.queue_position(chat_row.id)
        context["position_text"] = position_text(context["position"] or 1)
        context["wait_text"] = wait_text(await chat.wait_estimate(now()))
    return context


def _title(status: str) -> str:
    return {"waiting": _("Waiting for a counsellor"), "active": _("Chat with a counsellor"),
            "ended": _("The chat has ended")}[status]


async def _page(request: Request, token: str | None, status_code: int = 200, errors=None,
                values=None, cookies=None) -> Response:
    """The whole /chat page (or its #chat block for htmx) in the chat's current state."""
    current = await chat.conversation_for(token)
    base = {"errors": errors or {}, "values": values or {}, "client_id": chat.new_client_id(),
            "write": request.query_params.get("write") == "1", "status_code": status_code,
            "cookies": cookies}
    if current is None:
        moment = now()
        if not chat.is_open(moment):
            return render(request, TEMPLATE, block="chat", state="closed",
                          title=_("Chat is closed now"), opening=opening_text(moment), **base)
        return render(request, TEMPLATE, block="chat", state="start",
                      title=_("Talk to a counsellor now"), **base,
                      topics=[{"value": c.id, "label": _(c.label_me)} for c in v.CATEGORIES])
    if current.status == "ended" and current.report_id is not None and current.ended_by == "child":
        sent = await reports.replay(_leave_key(token))
        if sent is not None:
            return render(request, TEMPLATE, block="chat", state="left",
                          title=_("Your message was sent"), urgent=sent.urgent,
                          code_groups=receipts.groups(sent.code) if sent.code else [], **base)
    context = await _lines_context(current)
    if current.status == "waiting" and not values:
        values = {"leave": await chat.child_text(current.id)}  # nothing typed is lost
        base["values"] = values
    return render(request, TEMPLATE, block="chat", state="conversation",
                  title=_title(current.status), **context, **base)


def _token(request: Request) -> str | None:
    return request.cookies.get(CHAT_COOKIE)


@get("/chat", name="chat.page")
async def page(request: Request) -> Response:
    return await _page(request, _token(request))


@post("/chat/start", name="chat.start", status_code=200)
async def start(request: Request) -> Response:
    token = _token(request)
    if await chat.conversation_id_for(token) is not None:  # a double click, or a second tab
        return see_other("/chat")
    form = await read_form(request)
    result = forms.start(form)
    if not result.ok:
        return await _page(request, None, 422, result.errors, result.values)
    if not chat.is_open(now()):
        return await _page(request, None)  # closed meanwhile: the closed page says when
    token, _id = await chat.start(current_language.get(), result.values["topic"],
                                  result.values["message"], result.values["client_id"])
    cookies = [cookie(CHAT_COOKIE, token)]  # a session cookie: gone when the browser closes
    if wants_fragment(request):
        return await _page(request, token, cookies=cookies)
    return see_other("/chat", cookies=cookies)


async def _changes(request: Request, conversation_id: int, values, risky: bool = False) -> Response:
    """Only what changed, as out-of-band swaps: new lines, the cursor, state, announcements."""
    current = await chat.details(conversation_id)
    context = await _lines_context(current, forms.after(values.get("after")))
    announce = ""
    if current.status == "waiting" and str(context["position"]) != values.get("pos"):
        announce = context["position_text"]
    if risky:
        announce = _("If you are in danger now, call for help. The numbers are at the top.")
    return render(request, "chat/updates.html", **context, announce=announce, risky=risky,
                  known_status=values.get("st"), title=_title(current.status), errors={},
                  status_code=286 if current.status == "ended" else 200)  # 286: stop polling


@get("/chat/messages", name="chat.messages")
async def messages(request: Request) -> Response:
    """204 while nothing is new (memory only); else the new lines and what else changed."""
    if not wants_fragment(request):  # opened as a page (no JS): the whole chat
        return await _page(request, _token(request))
    conversation_id = await chat.conversation_id_for(_token(request))
    if conversation_id is None:
        return empty(200, **{"HX-Refresh": "true"})  # the chat is gone (quick exit in another tab)
    query = request.query_params
    after = forms.after(query.get("after"))
    hub = live.HUB
    latest = await hub.current(conversation_id, lambda: chat.latest_seq(conversation_id))
    idle = latest <= after
    if idle and query.get("q"):  # still waiting: has the queue moved?
        idle = str(await hub.current(live.QUEUE, chat.queue_version)) == query.get("q")
    if idle:
        return empty(204)
    return await _changes(request, conversation_id, query)


@post("/chat/send", name="chat.send", status_code=200)
async def send(request: Request) -> Response:
    token = _token(request)
    conversation_id = await chat.conversation_id_for(token)
    if conversation_id is None:
        return see_other("/chat")
    form = await read_form(request)
    result = forms.message(form)
    if result.ok:
        try:
            posted = await chat.post(conversation_id, "child", result.values["message"],
                                     result.values["client_id"])
        except chat.ChatError as error:
            result.errors["message"] = error.message
    if not result.ok:  # the whole chat again, with the error summary and the text kept
        response = await _page(request, token, 422, result.errors, result.values)
        response.headers.update({"HX-Retarget": "#chat", "HX-Reswap": "outerHTML"})
        return response
    if not wants_fragment(request):
        return see_other("/chat")
    return await _changes(request, conversation_id, form, risky=posted.risky)


@post("/chat/end", name="chat.end", status_code=200)
async def end(request: Request) -> Response:
    conversation_id = await chat.conversation_id_for(_token(request))
    if conversation_id is not None:
        await chat.end(conversation_id, "child")
    if wants_fragment(request):
        return await _page(request, _token(request))
    return see_other("/chat")


@post("/chat/leave", name="chat.leave", status_code=200)
async def leave(request: Request) -> Response:
    """Leave a message instead of waiting: it becomes a report with a receipt code."""
    token = _token(request)
    conversation_id = await chat.conversation_id_for(token)
    if conversation_id is None:
        return see_other("/chat")
    form = await read_form(request)
    result = forms.leave(form)
    if not result.ok:
        return await _page(request, token, 422, result.errors,
                           {"leave": result.values["message"]})
    await chat.leave_message(conversation_id, result.values["message"], _leave_key(token))
    if wants_fragment(request):
        return await _page(request, token)
    return see_other("/chat")


@post("/chat/new", name="chat.new", status_code=200)
async def new(request: Request) -> Response:
    """Forget an ended chat on this device and show the start page again."""
    conversation_id = await chat.conversation_id_for(_token(request))
    if conversation_id is not None:
        await chat.end(conversation_id, "child")
    cookies = [expired(CHAT_COOKIE)]
    if wants_fragment(request):
        return await _page(request, None, cookies=cookies)
    return see_other("/chat", cookies=cookies)


ROUTES = [page, start, messages, send, end, leave, new]
