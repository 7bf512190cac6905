"""The chat's forms: starting, a message (child or counsellor), leaving a message, hand-over."""

from __future__ import annotations

import re

import vocabulary as v
from forms import _clean
from forms.report import Result
from forms.staff import whole_number
from i18n import N_

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_MESSAGE = 2000  # one chat message; a longer one is sent in parts
_TOPICS = frozenset(c.id for c in v.CATEGORIES)


def _client_id(form) -> str:
    """The sender's id for a message (letters, digits, - and _; at most 64): a retry repeats it."""
    value = (form.get("client_id") or "").strip()
    return value if _CLIENT_ID.fullmatch(value) else ""


def _message(form, result: Result, name: str, required: bool) -> None:
    body = _clean.text(form.get(name), multiline=True)
    result.values[name] = body[: MAX_MESSAGE * 2]
    if required and not body:
        result.errors[name] = N_("Write a message first")
    elif len(body) > MAX_MESSAGE:
        result.errors[name] = N_("Write 2,000 characters or fewer. You can send the rest in "
                                 "another message.")


def start(form) -> Result:
    """An optional topic and an optional first message."""
    result = Result()
    result.values["topic"] = _clean.one_of(form.get("topic"), _TOPICS) or ""
    result.values["client_id"] = _client_id(form)
    _message(form, result, "message", required=False)
    return result


def message(form) -> Result:
    result = Result()
    result.values["client_id"] = _client_id(form)
    _message(form, result, "message", required=True)
    return result


def after(value: str | None) -> int:
    """The last message id the page already shows (0 when missing or odd)."""
    number = whole_number(value or "")
    return number if number is not None else 0


def leave(form) -> Result:
    """"Leave a message instead": the text that becomes a report (1 to MAX_DETAILS)."""
    result = Result()
    text = _clean.text(form.get("message"), multiline=True)
    result.values["message"] = text[: v.MAX_DETAILS * 2]
    if not text:
        result.errors["message"] = N_("Write what you want to tell us")
    elif len(text) > v.MAX_DETAILS:
        result.errors["message"] = N_("Write 5,000 characters or fewer")
    return result


def note(form) -> Result:
    result = Result()
    _message(form, result, "note", required=True)
    return result


def transfer(form, allowed: set[int]) -> Result:
    result = Result()
    account = whole_number(form.get("account"))
    _message(form, result, "handover", required=False)
    if account not in allowed:
        result.errors["account"] = N_("Choose a counsellor who is online")
    result.values["account"] = account
    return result


def reference(form) -> Result:
    result = Result()
    value = _clean.text(form.get("reference")).upper()
    result.values["reference"] = value[:20]
    if not value:
        result.errors["reference"] = N_("Enter the case reference, for example R-7KQ2MX")
    return result
