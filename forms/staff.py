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
