"""Live chat between a child and a counsellor: the waiting queue, messages, hand-overs, risk.

Every message has a `seq` (1, 2, 3… per conversation) allocated inside the write transaction,
with the conversation row locked on PostgreSQL (SELECT … FOR UPDATE) and the whole database
locked on SQLite (IMMEDIATE). UNIQUE (conversation, seq) and UNIQUE (conversation, client_id)
back this up in the database, so a retried send is stored once and no seq is ever shared.

System lines hold message keys, never English: "system:accepted", "system:ended",
"system:transferred" (the UI translates them). After a write commits, the caller publishes the
returned seq through services.live, and the queue version (queue_version()) when it changed.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
import statistics
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from asyncpg.exceptions import UniqueViolationError

import vocabulary as v
from config import get_settings
from db.tables import Account, ChatMessage, Conversation, Counter, Report
from i18n import N_
from services import audit, inbox, live, reports
from services._db import keyed_hash, now, write_transaction
from services._text import words

MAX_BODY = 2000
QUEUE_COUNTER = "chat_queue"
WAIT_HISTORY = 20  # accepted conversations the wait estimate looks at
WAIT_RECENT = timedelta(days=7)  # older accepts say little about today's staffing
ACCEPTED, ENDED, TRANSFERRED = "system:accepted", "system:ended", "system:transferred"
_TOPICS = {c.id for c in v.CATEGORIES}
_URGENT_TOPICS = {c.id for c in v.CATEGORIES if c.always_urgent}


class ChatError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message  # a msgid, translated where it is shown


class AlreadyAccepted(ChatError):
    def __init__(self, holder: str):
        super().__init__(N_("%(name)s is already talking with this child."))
        self.holder = holder


@dataclass(frozen=True)
class Chat:
    id: int
    status: str  # waiting | active | ended
    topic: str
    language: str
    urgent: bool
    counsellor_id: int | None
    counsellor_name: str  # always "" in the child's view
    report_id: int | None
    created_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    ended_by: str


@dataclass(frozen=True)
class Line:
    seq: int
    author: str  # child | counsellor | system
    kind: str  # message | note | transfer
    body: str
    at: datetime
    actor_name: str  # always "" in the child's view


@dataclass(frozen=True)
class Posted:
    seq: int
    duplicate: bool  # a retried send: the earlier message's seq, nothing new stored
    risky: bool  # the text holds a risk phrase: show the child the emergency card
    became_urgent: bool  # the conversation was marked urgent just now (the queue order changed)


# ---------------------------------------------------------------------------------------------
# Opening hours


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


def _hours() -> tuple[ZoneInfo, int, int]:
    """(zone, opens, closes) in minutes after local midnight, from the profile's [chat] table."""
    # Only same-day hours: opens < closes, "24:00" being the midnight that ends the day. Hours
    # that run past midnight (e.g. 20:00–02:00) are rejected loudly. No hours given = 24 h.
    profile = get_settings().profile
    chat = profile.chat
    opens, closes = _minutes(chat.get("opens", "00:00")), _minutes(chat.get("closes", "24:00"))
    if not 0 <= opens < closes <= 24 * 60:
        raise ValueError(f"chat hours {chat.get('opens')}–{chat.get('closes')}: opens must be "
                         "before closes on the same day (hours past midnight are not supported)")
    return ZoneInfo(chat.get("timezone") or profile.timezone), opens, closes


def is_open(moment: datetime) -> bool:
    """Whether live chat is open at an aware `moment`."""
    zone, opens, closes = _hours()
    local = moment.astimezone(zone)
    return opens <= local.hour * 60 + local.minute < closes


def next_opening(moment: datetime) -> datetime:
    """When chat next opens, in the chat's time zone; `moment` itself while it is open."""
    zone, opens, closes = _hours()
    local = moment.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if opens <= minute < closes:
        return local
    day = local.date() if minute < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, time(opens // 60, opens % 60), tzinfo=zone)


# ---------------------------------------------------------------------------------------------
# Risk phrases (self-harm, immediate danger), matched on whole words after normalising

RISK_PHRASES = (
    # sq: self-harm
    "vras veten", "vrit veten", "vetëvrasje", "vetëvrasjen", "vetëvritem", "nuk dua të jetoj",
    "s'dua të jetoj", "nuk dua më të jetoj", "nuk dua me jetu", "s'dua me jetu", "dua të vdes",
    "dua me vdek", "lëndoj veten", "dëmtoj veten", "pres veten", "pre veten",
    # sq: immediate danger
    "më godet tani", "po më godet", "më rreh tani", "po më rreh", "është këtu tani",
    "po më kërcënon", "po më ndjek", "do më vrasë", "do të më vrasë",
    # en: self-harm
    "kill myself", "killing myself", "end my life", "take my own life", "want to die",
    "wanna die", "don't want to live", "do not want to live", "hurt myself", "hurting myself",
    "harm myself", "cut myself", "cutting myself", "suicide", "suicidal",
    # en: immediate danger
    "he is here now", "she is here now", "he's here now", "she's here now", "they are here now",
    "is hitting me", "is beating me", "hitting me now", "going to kill me", "gonna kill me",
    "will kill me",
)


def _normalise(text: str) -> str:
    """Folded words (no case, no diacritics: ë→e, ç→c, no apostrophes), space-separated and
    space-framed, so phrases match whole words only."""
    return " " + " ".join(words(text)) + " "


_RISK = tuple(_normalise(phrase) for phrase in RISK_PHRASES)


def risk_level(text: str) -> bool:
    """True when the text holds a self-harm or immediate-danger phrase (sq or en)."""
    normalised = _normalise(text or "")
    return any(phrase in normalised for phrase in _RISK)


# ---------------------------------------------------------------------------------------------
# Helpers


def _is_duplicate(error: Exception) -> bool:
    return isinstance(error, UniqueViolationError) or "UNIQUE constraint failed" in str(error)


def _system_id() -> str:
    return "sys-" + secrets.token_hex(16)


def new_client_id() -> str:
    """A fresh id for the next message a form sends (a resent form repeats it: no duplicate)."""
    return secrets.token_hex(16)


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise ChatError(N_("This message is too long: send it in shorter parts."))
    return body


def _clean_client_id(client_id: str | None) -> str:
    """The sender's id for this message; without one (a form that lost it) a fresh one."""
    client_id = (client_id or "").strip()
    if len(client_id) > 64:
        raise ChatError(N_("This message could not be sent. Try again."))
    return client_id or secrets.token_hex(16)


async def _lock(conversation_id: int) -> dict | None:
    """The conversation row; on PostgreSQL locked until commit, so writers to one chat queue up."""
    if Conversation._meta.db.engine_type == "postgres":
        rows = await Conversation.raw(
            "SELECT id, status, urgent, counsellor FROM conversation WHERE id = {} FOR UPDATE",
            conversation_id)
        return rows[0] if rows else None
    return await Conversation.select(  # SQLite: IMMEDIATE already holds the only write lock
        Conversation.id, Conversation.status, Conversation.urgent, Conversation.counsellor,
    ).where(Conversation.id == conversation_id).first()


async def latest_seq(conversation_id: int) -> int:
    """The highest seq in a conversation (notes included), 0 when it has none."""
    row = await ChatMessage.select(ChatMessage.seq).where(
        ChatMessage.conversation == conversation_id).order_by(
        ChatMessage.seq, ascending=False).first()
    return row["seq"] if row else 0


async def _append(conversation_id: int, author: str, kind: str, body: str, client_id: str,
                  actor) -> int:
    """Store the next line; call inside a write transaction holding the conversation's lock."""
    seq = await latest_seq(conversation_id) + 1
    await ChatMessage(conversation=conversation_id, seq=seq, author=author, kind=kind, body=body,
                      client_id=client_id, actor=actor.id if actor else None,
                      created_at=now()).save()
    return seq


async def _queue_changed() -> int:
    """The waiting queue changed: new version for waiting rooms, and for counsellors' inboxes."""
    await Counter.insert(Counter(name=QUEUE_COUNTER, value=0)).on_conflict(action="DO NOTHING")
    rows = await Counter.update({Counter.value: Counter.value + 1}).where(
        Counter.name == QUEUE_COUNTER).returning(Counter.value)
    await inbox.bump()
    return rows[0]["value"]


async def _announce(conversation_id: int | None = None, seq: int | None = None,
                    queue: int | None = None) -> None:
    """After the commit: this worker knows at once, the others through the channel."""
    if conversation_id is not None and seq is not None:
        await live.HUB.announce(conversation_id, seq)
    if queue is not None:
        await live.HUB.announce(live.QUEUE, queue)


async def queue_version() -> int:
    """Changes whenever a chat joins, leaves or moves in the waiting queue."""
    row = await Counter.select(Counter.value).where(Counter.name == QUEUE_COUNTER).first()
    return row["value"] if row else 0


def _may_handle(row: dict, user) -> bool:
    """The counsellor in the chat, or a supervisor."""
    return user is not None and (row["counsellor"] == user.id or user.can("supervisor"))


# ---------------------------------------------------------------------------------------------
# The child's side


async def start(language: str, topic: str, first_message: str | None,
                client_id: str | None) -> tuple[str, int]:
    """Open a waiting conversation; the token is returned once and only its hash is stored."""
    profile = get_settings().profile
    language = language if language in profile.languages else profile.default_language
    topic = topic if topic in _TOPICS else ""
    body = _clean_body(first_message)
    token = secrets.token_urlsafe(32)
    urgent = topic in _URGENT_TOPICS or risk_level(body)
    async with write_transaction():
        conversation = Conversation(token_hash=keyed_hash("chat", token), status="waiting",
                                    topic=topic, language=language, urgent=urgent,
                                    created_at=now())
        await conversation.save()
        if body:
            await ChatMessage(conversation=conversation.id, seq=1, author="child",
                              kind="message", body=body, client_id=_clean_client_id(client_id),
                              created_at=now()).save()
        queue = await _queue_changed()
    await _announce(conversation.id, 1 if body else 0, queue)
    return token, conversation.id


_CHAT_COLUMNS = (Conversation.id, Conversation.status, Conversation.topic, Conversation.language,
                 Conversation.urgent, Conversation.counsellor, Conversation.report,
                 Conversation.created_at, Conversation.accepted_at, Conversation.ended_at,
                 Conversation.ended_by)


def _as_chat(row: dict, counsellor_name: str = "") -> Chat:
    return Chat(row["id"], row["status"], row["topic"], row["language"], bool(row["urgent"]),
                row["counsellor"], counsellor_name, row["report"], row["created_at"],
                row["accepted_at"], row["ended_at"], row["ended_by"])


async def conversation_for(token: str | None) -> Chat | None:
    """The child's conversation for their cookie token (no staff names in it)."""
    if not token:
        return None
    row = await Conversation.select(*_CHAT_COLUMNS).where(
        Conversation.token_hash == keyed_hash("chat", token)).first()
    return _as_chat(row) if row else None


_IDS: OrderedDict[str, int] = OrderedDict()  # token hash -> conversation id (never changes)
_IDS_MAX = 10_000


async def conversation_id_for(token: str | None) -> int | None:
    """The conversation id of a child's token, from memory after the first look-up (polls)."""
    if not token or len(token) > 100:
        return None
    token_hash = keyed_hash("chat", token)
    if (found := _IDS.get(token_hash)) is not None:
        _IDS.move_to_end(token_hash)
        return found
    row = await Conversation.select(Conversation.id).where(
        Conversation.token_hash == token_hash).first()
    if row is None:
        return None
    _IDS[token_hash] = row["id"]
    while len(_IDS) > _IDS_MAX:
        _IDS.popitem(last=False)
    return row["id"]


async def details(conversation_id: int) -> Chat | None:
    """A conversation as staff see it, with the counsellor's name."""
    row = await Conversation.select(
        *_CHAT_COLUMNS, Conversation.counsellor.display_name.as_alias("counsellor_name"),
    ).where(Conversation.id == conversation_id).first()
    return _as_chat(row, row["counsellor_name"] or "") if row else None


async def queue_position(conversation_id: int) -> int | None:
    """1-based place among waiting chats (urgent first, then oldest); None when not waiting."""
    me = await Conversation.select(Conversation.status, Conversation.urgent,
                                   Conversation.created_at).where(
        Conversation.id == conversation_id).first()
    if me is None or me["status"] != "waiting":
        return None
    older = (Conversation.created_at < me["created_at"]) | (
        (Conversation.created_at == me["created_at"]) & (Conversation.id < conversation_id))
    is_urgent = Conversation.urgent == True  # noqa: E712 (a SQL expression)
    ahead = (is_urgent & older) if me["urgent"] else (is_urgent | older)
    return 1 + await Conversation.count().where((Conversation.status == "waiting") & ahead)


async def wait_estimate(moment: datetime) -> timedelta | None:
    """Median wait of the last 20 chats accepted in the 7 days before `moment`; None if none."""
    rows = await Conversation.select(Conversation.created_at, Conversation.accepted_at).where(
        Conversation.accepted_at.is_not_null() & (Conversation.accepted_at > moment - WAIT_RECENT)
        & (Conversation.accepted_at <= moment)).order_by(
        Conversation.accepted_at, ascending=False).limit(WAIT_HISTORY)
    if not rows:
        return None
    waits = [(r["accepted_at"] - r["created_at"]).total_seconds() for r in rows]
    return timedelta(seconds=round(statistics.median(waits)))


# ---------------------------------------------------------------------------------------------
# Messages


def _check_may_post(row: dict | None, author: str, kind: str, actor) -> None:
    if row is None:
        raise ChatError(N_("This chat does not exist."))
    if author == "child":
        if kind != "message" or actor is not None:
            raise ValueError("a child only sends plain messages")
        if row["status"] == "ended":
            raise ChatError(N_("This chat has ended."))
        return
    if author != "counsellor" or actor is None or kind not in ("message", "note"):
        raise ValueError(f"cannot post {author}/{kind}")
    if kind == "note":  # also after the end: a counsellor may still write the wrap-up
        if not _may_handle(row, actor):
            raise ChatError(N_("Only the counsellor in this chat can write here."))
        return
    if row["status"] != "active" or row["counsellor"] != actor.id:
        raise ChatError(N_("Only the counsellor in this chat can write here."))


async def _post_once(conversation_id: int, author: str, kind: str, body: str, client_id: str,
                     actor, risky: bool) -> Posted:
    async with write_transaction():
        row = await _lock(conversation_id)
        earlier = await ChatMessage.select(ChatMessage.seq).where(
            (ChatMessage.conversation == conversation_id)
            & (ChatMessage.client_id == client_id)).first()
        if earlier is not None:
            return Posted(earlier["seq"], True, risky, False)
        _check_may_post(row, author, kind, actor)
        seq = await _append(conversation_id, author, kind, body, client_id, actor)
        became_urgent = risky and not row["urgent"]
        queue = None
        if became_urgent:
            await Conversation.update({Conversation.urgent: True}).where(
                Conversation.id == conversation_id)
            queue = await _queue_changed()
    await _announce(conversation_id, seq, queue)
    return Posted(seq, False, risky, became_urgent)


async def post(conversation_id: int, author: str, body: str, client_id: str | None,
               actor=None, kind: str = "message") -> Posted:
    """Store a message once per client id (a retry gets the same seq back); risk raises urgency."""
    body, client_id = _clean_body(body), _clean_client_id(client_id)
    if not body:
        raise ChatError(N_("Write a message first."))
    risky = author == "child" and risk_level(body)
    for _ in range(3):
        try:
            return await _post_once(conversation_id, author, kind, body, client_id, actor, risky)
        except Exception as error:  # a write that slipped past the lock: the indexes caught it
            if not _is_duplicate(error):
                raise
    raise RuntimeError("could not store the chat message")


async def messages_after(conversation_id: int, after_seq: int, for_child: bool,
                         limit: int = 200) -> list[Line]:
    """Lines with seq > after_seq, oldest first; the child never gets notes or staff names."""
    columns = [ChatMessage.seq, ChatMessage.author, ChatMessage.kind, ChatMessage.body,
               ChatMessage.created_at]
    if not for_child:
        columns.append(ChatMessage.actor.display_name.as_alias("actor_name"))
    query = ChatMessage.select(*columns).where(
        (ChatMessage.conversation == conversation_id) & (ChatMessage.seq > after_seq))
    if for_child:
        query = query.where(ChatMessage.kind != "note")
    rows = await query.order_by(ChatMessage.seq).limit(limit)
    return [Line(r["seq"], r["author"], r["kind"], r["body"], r["created_at"],
                 r.get("actor_name") or "") for r in rows]


# ---------------------------------------------------------------------------------------------
# The counsellor's side


async def waiting(limit: int = 50) -> list[dict]:
    """Waiting chats for the inbox: urgent first, then oldest."""
    return await Conversation.select(
        Conversation.id, Conversation.topic, Conversation.language, Conversation.urgent,
        Conversation.created_at,
    ).where(Conversation.status == "waiting").order_by(
        Conversation.urgent, ascending=False).order_by(Conversation.created_at).order_by(
        Conversation.id).limit(limit)


async def mine(user_id: int) -> list[dict]:
    """A counsellor's active chats, oldest accepted first."""
    return await Conversation.select(
        Conversation.id, Conversation.topic, Conversation.language, Conversation.urgent,
        Conversation.accepted_at,
    ).where((Conversation.status == "active") & (Conversation.counsellor == user_id)).order_by(
        Conversation.accepted_at)


async def accept(conversation_id: int, user) -> int:
    """Take a waiting chat; of two counsellors at once exactly one wins. Returns the new seq."""
    async with write_transaction():
        won = await Conversation.update({
            Conversation.status: "active", Conversation.counsellor: user.id,
            Conversation.accepted_at: now(),
        }).where((Conversation.id == conversation_id)
                 & (Conversation.status == "waiting")).returning(Conversation.id)
        if won:
            seq = await _append(conversation_id, "system", "message", ACCEPTED, _system_id(), user)
            await audit.record(user, "chat.accept", f"conversation:{conversation_id}")
            queue = await _queue_changed()
    if won:
        await _announce(conversation_id, seq, queue)
        return seq
    chat = await details(conversation_id)
    if chat is None:
        raise ChatError(N_("This chat does not exist."))
    if chat.status == "active" and chat.counsellor_id == user.id:
        return await latest_seq(conversation_id)  # a double click: already ours
    if chat.status == "ended":
        raise ChatError(N_("This chat has ended."))
    raise AlreadyAccepted(chat.counsellor_name)


async def end(conversation_id: int, by: str, user=None) -> int | None:
    """End a chat (the child, or its counsellor/a supervisor); None when it had already ended."""
    if by not in ("child", "counsellor"):
        raise ValueError(by)
    async with write_transaction():
        row = await _lock(conversation_id)
        if row is None:
            raise ChatError(N_("This chat does not exist."))
        if row["status"] == "ended":
            return None
        if by == "counsellor" and not _may_handle(row, user):
            raise ChatError(N_("Only the counsellor in this chat can end it."))
        await Conversation.update({Conversation.status: "ended", Conversation.ended_at: now(),
                                   Conversation.ended_by: by}).where(
            Conversation.id == conversation_id)
        actor = user if by == "counsellor" else None
        seq = await _append(conversation_id, "system", "message", ENDED, _system_id(), actor)
        if actor is not None:
            await audit.record(actor, "chat.end", f"conversation:{conversation_id}")
        queue = None
        if row["status"] == "waiting":
            queue = await _queue_changed()
        else:
            await inbox.bump()
    await _announce(conversation_id, seq, queue)
    return seq


async def transfer(conversation_id: int, from_user, to_account_id: int, note: str) -> int:
    """Warm hand-over by the counsellor in the chat: a private note, and a polite system line."""
    note = _clean_body(note)
    async with write_transaction():
        row = await _lock(conversation_id)
        if row is None or row["status"] != "active" or row["counsellor"] != from_user.id:
            raise ChatError(N_("Only the counsellor in this chat can hand it over."))
        if to_account_id == from_user.id:
            raise ChatError(N_("Choose another counsellor."))
        target = await Account.select(Account.display_name).where(
            (Account.id == to_account_id) & (Account.active == True)).first()  # noqa: E712
        if target is None:
            raise ChatError(N_("Choose a member of staff from the list."))
        await Conversation.update({Conversation.counsellor: to_account_id}).where(
            Conversation.id == conversation_id)
        if note:
            await _append(conversation_id, "counsellor", "note", note, _system_id(), from_user)
        seq = await _append(conversation_id, "system", "transfer", TRANSFERRED, _system_id(),
                            from_user)
        await audit.record(from_user, "chat.transfer", f"conversation:{conversation_id}",
                           target["display_name"])
        await inbox.bump()
    await _announce(conversation_id, seq)
    return seq


async def link_to_report(conversation_id: int, report_id: int, user) -> None:
    """Join the chat to a case (its transcript then belongs to the case file)."""
    async with write_transaction():
        row = await _lock(conversation_id)
        if row is None:
            raise ChatError(N_("This chat does not exist."))
        if not _may_handle(row, user):
            raise ChatError(N_("Only the counsellor in this chat can link it to a case."))
        if not await Report.exists().where(Report.id == report_id):
            raise ChatError(N_("This case does not exist."))
        await Conversation.update({Conversation.report: report_id}).where(
            Conversation.id == conversation_id)
        await audit.record(user, "chat.link", f"conversation:{conversation_id}",
                           f"report:{report_id}")


async def for_report(report_id: int) -> list[dict]:
    """The chats linked to a case, oldest first (for the case file)."""
    return await Conversation.select(Conversation.id, Conversation.created_at,
                                     Conversation.status).where(
        Conversation.report == report_id).order_by(Conversation.id)


async def transcripts(report_id: int) -> list[tuple[Chat, list[Line]]]:
    """Every chat linked to a case with all its lines, notes included (the case file)."""
    found = []
    for row in await for_report(report_id):
        chat = await details(row["id"])
        found.append((chat, await messages_after(row["id"], 0, for_child=False, limit=10_000)))
    return found


async def child_text(conversation_id: int) -> str:
    """Everything the child wrote in a chat, one message per paragraph."""
    rows = await ChatMessage.select(ChatMessage.body).where(
        (ChatMessage.conversation == conversation_id) & (ChatMessage.author == "child")
    ).order_by(ChatMessage.seq)
    return "\n\n".join(r["body"] for r in rows)


def _report_answers(chat: Chat, details_text: str) -> dict:
    """A chat as a report: what we know (topic, risk), the rest honestly "not known"."""
    return {"about": "me", "categories": [chat.topic] if chat.topic else [],
            "in_danger": "yes" if chat.urgent else "not_sure", "happened": "unknown",
            "age_group": "unknown", "details": details_text[:v.MAX_DETAILS],
            "contact": "anonymous"}


async def leave_message(conversation_id: int, text: str, idempotency_key: str) -> reports.Sent:
    """The child would rather leave a message: it becomes a report with a receipt, and the
    waiting chat ends and joins that report. A replay (same key) gets the same receipt."""
    chat = await details(conversation_id)
    if chat is None:
        raise ChatError(N_("This chat does not exist."))
    sent = await reports.submit(_report_answers(chat, text), idempotency_key, chat.language, "",
                                channel="chat")
    async with write_transaction():
        await Conversation.update({Conversation.report: sent.report_id}).where(
            Conversation.id == conversation_id)
    await end(conversation_id, "child")
    return sent


async def open_case(conversation_id: int, user) -> int:
    """A new case from a chat (its transcript joins the case file); once per chat."""
    chat = await details(conversation_id)
    if chat is None:
        raise ChatError(N_("This chat does not exist."))
    if chat.report_id is not None:
        return chat.report_id
    summary = await child_text(conversation_id)
    sent = await reports.submit(_report_answers(chat, summary), f"chat-case-{conversation_id}",
                                chat.language, "", channel="chat")
    await link_to_report(conversation_id, sent.report_id, user)
    return sent.report_id


async def link_by_reference(conversation_id: int, reference: str, user) -> int:
    """Join a chat to an existing case found by its reference (R-XXXXXX)."""
    reference = (reference or "").strip().upper()
    if reference and not reference.startswith("R-"):
        reference = "R-" + reference
    row = await Report.select(Report.id).where(Report.reference == reference).first()
    if row is None:
        raise ChatError(N_("No case has this reference. Check it and try again."))
    await link_to_report(conversation_id, row["id"], user)
    return row["id"]
