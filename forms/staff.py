"""Staff forms: sign-in and the case actions, validated as plain Python."""

from __future__ import annotations

from forms import _clean
from forms.report import Result
from i18n import N_

SIGN_IN_FAILED = N_("The username or password is wrong, or the account is locked for a while. "
                    "Try again, or ask an administrator.")


def sign_in(form) -> Result:
    result = Result()
    username = _clean.text(form.get("username"))[:64]
    password = form.get("password")[:1024]
    result.values.update(username=username, password=password)
    if not username:
        result.errors["username"] = N_("Enter your username")
    if not password:
        result.errors["password"] = N_("Enter your password")
    return result


MAX_MESSAGE = 5000


def message(form, name: str = "body") -> Result:
    """A reply or an internal note: 1 to 5,000 characters."""
    result = Result()
    body = _clean.text(form.get(name), multiline=True)
    result.values[name] = body[: MAX_MESSAGE * 2]
    if not body:
        result.errors[name] = N_("Write the message")
    elif len(body) > MAX_MESSAGE:
        result.errors[name] = N_("Write 5,000 characters or fewer")
    return result


def whole_number(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def choice(form, name: str, allowed, message_id: str) -> Result:
    result = Result()
    value = form.get(name)
    if value not in allowed:
        result.errors[name] = message_id
    result.values[name] = value
    return result


def referral(form) -> Result:
    result = Result()
    result.values["service"] = whole_number(form.get("service"))
    result.values["note"] = _clean.text(form.get("note"), multiline=True)[:4000]
    if result.values["service"] is None:
        result.errors["service"] = N_("Choose a service from the list")
    if len(result.values["note"]) > 2000:
        result.errors["note"] = N_("Write 2,000 characters or fewer")
    return result


def urgency(form) -> Result:
    result = Result()
    result.values["urgent"] = form.get("urgent")
    result.values["reason"] = _clean.text(form.get("reason"))[:1000]
    if result.values["urgent"] not in ("yes", "no"):
        result.errors["urgent"] = N_("Choose urgent or not urgent")
    if not result.values["reason"]:
        result.errors["reason"] = N_("Say why the urgency changes")
    elif len(result.values["reason"]) > 500:
        result.errors["reason"] = N_("Write 500 characters or fewer")
    return result
