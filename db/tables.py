"""The tables. Nothing here holds a reporter's IP address, user agent or device id."""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Account(Table):
    """A counsellor, supervisor or admin (our own table: passwords are Argon2id)."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True, index=True)
    display_name = Varchar(length=120)
    role = Varchar(length=16)  # counsellor | supervisor | admin
    active = Boolean(default=True)
    password_hash = Text()
    failed_attempts = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_login = Timestamptz(null=True, default=None)
    language = Varchar(length=8, default="sq")
    created_at = Timestamptz()


class StaffSession(Table):
    """A signed-in staff member, keyed by the hash of a cookie token; shared by all workers."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    account = ForeignKey(Account, index=True)
    created_at = Timestamptz()
    last_seen = Timestamptz()
    expires_at = Timestamptz(index=True)  # the absolute limit


class Draft(Table):
    """A report being written: answers so far, keyed by the hash of a cookie token."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    idempotency_key = Varchar(length=64)
    answers = Text(default="{}")
    report_id = Integer(null=True, default=None)  # set once sent, until the receipt is shown
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class Report(Table):
    id = Serial(primary_key=True)
    reference = Varchar(length=12, unique=True)  # what staff see instead of the receipt
    receipt_hash = Varchar(length=64, unique=True, index=True)
    idempotency_hash = Varchar(length=64, unique=True, index=True)
    receipt_sealed = Text(null=True, default=None)  # readable only with the idempotency key
    about = Varchar(length=16)
    categories = Varchar(length=200)  # comma-separated category ids
    in_danger = Varchar(length=8)
    urgent = Boolean(default=False)
    happened = Varchar(length=16)
    county = Varchar(length=40, default="")
    municipality = Varchar(length=40, default="")
    age_group = Varchar(length=16)
    details = Text(default="")
    needs = Varchar(length=200, default="")
    needs_other = Text(default="")
    contact_method = Varchar(length=16)
    contact_value = Varchar(length=320, default="")
    language = Varchar(length=8)
    channel = Varchar(length=16, default="web")
    status = Varchar(length=16, default="new", index=True)  # new | open | referred | closed
    referred_kind = Varchar(length=32, default="")
    assigned_to = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null)
    urgency_reason = Text(default="")
    gender = Varchar(length=16, default="")  # recorded by staff when known: girl | boy | other
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()


class ReportEvent(Table):
    """The case timeline, oldest first. Only the kinds in REPORTER_KINDS ever reach the reporter;
    `status` events hold the reporter's milestones (received, read, helping, referred, closed)."""

    id = Serial(primary_key=True)
    report = ForeignKey(Report, index=True)
    # status | reporter_message | counsellor_reply | internal_note | assigned | urgency | referral
    kind = Varchar(length=24)
    status = Varchar(length=16, default="")
    body = Text(default="")
    actor = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class Service(Table):
    """The referral directory. `example` marks demo entries, never real organisations."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    kind = Varchar(length=32)
    county = Varchar(length=40, default="")
    municipality = Varchar(length=40, default="")
    phone = Varchar(length=40, default="")
    address = Text(default="")
    hours = Varchar(length=200, default="")
    public = Boolean(default=False)
    example = Boolean(default=False)
    active = Boolean(default=True)


class Referral(Table):
    id = Serial(primary_key=True)
    report = ForeignKey(Report, index=True)
    service = ForeignKey(Service)
    status = Varchar(length=16, default="sent")  # sent | accepted | done | declined
    note = Text(default="")
    created_by = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CannedReply(Table):
    id = Serial(primary_key=True)
    language = Varchar(length=8)
    title = Varchar(length=120)
    body = Text()
    active = Boolean(default=True)


class AuditEntry(Table):
    """Append-only from the application: nothing in the app updates or deletes these rows."""

    id = Serial(primary_key=True)
    at = Timestamptz(index=True)
    actor = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=120, default="")
    action = Varchar(length=40, index=True)
    target = Varchar(length=60, default="")
    detail = Text(default="")


class Counter(Table):
    """Version numbers that let pollers answer 204 when nothing changed (e.g. "inbox")."""

    id = Serial(primary_key=True)
    name = Varchar(length=40, unique=True)
    value = Integer(default=0)


class FollowupSession(Table):
    """A reporter who proved their receipt, for a short while, keyed by the hash of a cookie."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    report = ForeignKey(Report)
    expires_at = Timestamptz(index=True)


class Throttle(Table):
    """Fixed-window attempt counters (keys are hashes, never addresses)."""

    id = Serial(primary_key=True)
    key = Varchar(length=80, unique=True, index=True)
    window_start = Timestamptz()
    count = Integer(default=0)


class Conversation(Table):
    """A live chat. The child holds an anonymous token; only keyed_hash("chat", token) is stored."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    status = Varchar(length=16, default="waiting", index=True)  # waiting | active | ended
    topic = Varchar(length=40, default="")  # a vocabulary.CATEGORIES id, or ""
    language = Varchar(length=8, default="sq")
    urgent = Boolean(default=False)
    counsellor = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null,
                            index=True)
    report = ForeignKey(Report, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    created_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None, index=True)
    ended_at = Timestamptz(null=True, default=None)
    ended_by = Varchar(length=16, default="")  # child | counsellor | ""


class ChatMessage(Table):
    """One line of a chat; `seq` counts 1, 2, 3… within its conversation."""

    # UNIQUE (conversation, seq) and UNIQUE (conversation, client_id) come from migration
    # raporto_0004 (raw SQL): a retried send is never stored twice.

    id = Serial(primary_key=True)
    conversation = ForeignKey(Conversation)
    seq = Integer()
    author = Varchar(length=16)  # child | counsellor | system
    kind = Varchar(length=16, default="message")  # message | note (never to the child) | transfer
    body = Text(default="")
    client_id = Varchar(length=64)
    actor = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class InfoPage(Table):
    """A page of the information library in one language (UNIQUE slug + language, migration
    raporto_0005). Its content lives in versions; the public sees the published one only."""

    id = Serial(primary_key=True)
    slug = Varchar(length=80, index=True)
    language = Varchar(length=8)
    created_at = Timestamptz()


class InfoPageVersion(Table):
    """One saved state of a page; every save adds one (restore copies an old one forward).
    At most one version of a page is `published`; drafts are never shown to the public."""

    id = Serial(primary_key=True)
    page = ForeignKey(InfoPage, index=True)
    number = Integer()
    audience = Varchar(length=16)  # children | adults | both
    topic = Varchar(length=40)
    title = Varchar(length=200)
    summary = Varchar(length=300)
    body = Text()  # Markdown, rendered with raw HTML off
    easy_read = Text(default="")
    refs = Text(default="[]")  # JSON: [{"title": …, "url": …}]
    reviewed = Date(null=True, default=None)
    published = Boolean(default=False, index=True)
    created_at = Timestamptz()
    created_by = ForeignKey(Account, null=True, default=None, on_delete=OnDelete.set_null)
