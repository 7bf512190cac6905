"""The "check my report" forms: the receipt code, and more information for the case."""

from __future__ import annotations

from forms import _clean
from forms.report import MAX_DETAILS, Result
from i18n import N_


def normalise_code(raw: str | None) -> str | None:
    """16 digits, ignoring spaces, dashes and dots; None when it cannot be a receipt code."""
    cleaned = "".join(ch for ch in (raw or "") if ch not in " \t-–—.")
    if len(cleaned) != 16 or not cleaned.isascii() or not cleaned.isdigit():
        return None
    return cleaned


def receipt(form) -> Result:
    result = Result()
    code = normalise_code(form.get("code"))
    if code is None:
        result.errors["code"] = N_("Enter the 16 numbers of your report code")
    else:
        result.values["code"] = code
    return result


def more_information(form) -> Result:
    result = Result()
    message = _clean.text(form.get("message"), multiline=True)
    if not message:
        result.errors["message"] = N_("Write what you want to add")
    elif len(message) > MAX_DETAILS:
        result.errors["message"] = N_("Write 5,000 characters or fewer")
    result.values["message"] = message
    return result


NOT_FOUND = N_("We could not find a report with this code. Check the numbers and try again.")
TOO_MANY = N_("You tried too many codes. For safety, wait 10 minutes and try again, or call us.")
