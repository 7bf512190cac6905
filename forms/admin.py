"""Admin forms: accounts, the services directory and canned replies, validated as plain Python.

Password rules live with the accounts service (it reports them as AccountError); a password is
never sent back to the browser, so it is not among the kept values.
"""

from __future__ import annotations

import re

from config import Profile
from forms import _clean
from forms.report import Result
from i18n import N_

# The roles in the order they are offered (the same as services.accounts.ROLES; a test checks).
ROLES = {"counsellor": N_("Counsellor"), "supervisor": N_("Supervisor"), "admin": N_("Administrator")}
MAX_NAME, MAX_TITLE, MAX_BODY, MAX_ADDRESS, MAX_HOURS, MAX_PHONE = 200, 120, 2000, 500, 200, 40
SERVICE_FLAGS = ("public", "example", "active")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-/]*$")


def _bounded(result: Result, name: str, value: str, limit: int, message: str) -> None:
    """Keep what was typed (up to twice the limit, to show it again) and check its length."""
    result.values[name] = value[: limit * 2]
    if len(value) > limit:
        result.errors[name] = message


def new_account(form) -> Result:
    result = Result()
    username = _clean.text(form.get("username"))
    _bounded(result, "username", username, 64, N_("Use 64 characters or fewer"))
    _bounded(result, "display_name", _clean.text(form.get("display_name")), MAX_TITLE,
             N_("Use 120 characters or fewer"))
    if not username:
        result.errors["username"] = N_("Enter a username")
    if not result.values["display_name"]:
        result.errors["display_name"] = N_("Enter the name colleagues know this person by")
    role(form, result)
    password(form, result)
    return result


def role(form, result: Result | None = None) -> Result:
    result = result or Result()
    result.values["role"] = _clean.one_of(form.get("role"), frozenset(ROLES)) or ""
    if not result.values["role"]:
        result.errors["role"] = N_("Choose a role")
    return result


def password(form, result: Result | None = None) -> Result:
    result = result or Result()
    result.values["password"] = form.get("password")[:1024]
    if not result.values["password"]:
        result.errors["password"] = N_("Enter a password")
    return result


def _place(form, profile: Profile, result: Result) -> None:
    """County and municipality, both optional; a municipality alone tells its county."""
    county_id, town = form.get("county"), form.get("municipality")
    result.values.update(county=county_id[:40], municipality=town[:40])
    county = profile.county(county_id)
    if county_id and county is None:
        result.errors["county"] = N_("Choose a county from the list, or leave it empty")
        return
    if not town:
        return
    home = next((c for c in profile.counties if town in {m.id for m in c.municipalities}), None)
    if home is None:
        result.errors["municipality"] = N_("Choose a municipality from the list, or leave it empty")
    elif county is None:
        result.values["county"] = home.id
    elif county is not home:
        result.errors["municipality"] = N_("This municipality is not in the county you chose")


def service(form, profile: Profile) -> Result:
    result = Result()
    _bounded(result, "name", _clean.text(form.get("name")), MAX_NAME,
             N_("Use 200 characters or fewer"))
    if not result.values["name"]:
        result.errors["name"] = N_("Enter the name of the service")
    result.values["kind"] = _clean.one_of(form.get("kind"), frozenset(profile.service_kinds)) or ""
    if not result.values["kind"]:
        result.errors["kind"] = N_("Choose the kind of service")
    _place(form, profile, result)
    phone = _clean.text(form.get("phone"))
    _bounded(result, "phone", phone, MAX_PHONE, N_("Use 40 characters or fewer"))
    if phone and "phone" not in result.errors and (
            not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        result.errors["phone"] = N_("Enter a phone number with digits, spaces and + only, "
                                    "or leave it empty")
    _bounded(result, "address", _clean.text(form.get("address"), multiline=True), MAX_ADDRESS,
             N_("Use 500 characters or fewer"))
    _bounded(result, "hours", _clean.text(form.get("hours")), MAX_HOURS,
             N_("Use 200 characters or fewer"))
    flags = set(form.getall("flags"))
    result.values.update({flag: flag in flags for flag in SERVICE_FLAGS})
    return result


def canned(form, profile: Profile) -> Result:
    result = Result()
    result.values["language"] = _clean.one_of(form.get("language"),
                                              frozenset(profile.languages)) or ""
    if not result.values["language"]:
        result.errors["language"] = N_("Choose the language of the reply")
    _bounded(result, "title", _clean.text(form.get("title")), MAX_TITLE,
             N_("Use 120 characters or fewer"))
    if not result.values["title"]:
        result.errors["title"] = N_("Enter a short title, so counsellors can find the reply")
    _bounded(result, "body", _clean.text(form.get("body"), multiline=True), MAX_BODY,
             N_("Write 2,000 characters or fewer"))
    if not result.values["body"]:
        result.errors["body"] = N_("Enter the text of the reply")
    return result
