"""The tables. Nothing here holds a reporter's IP address, user agent or device id."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


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
    status = Varchar(length=16, default="received", index=True)
    referred_kind = Varchar(length=32, default="")
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()


class ReportEvent(Table):
    """The case timeline: status changes and messages, oldest first."""

    id = Serial(primary_key=True)
    report = ForeignKey(Report, index=True)
    kind = Varchar(length=24)  # status | reporter_message | counsellor_reply
    status = Varchar(length=16, default="")
    body = Text(default="")
    created_at = Timestamptz()


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
