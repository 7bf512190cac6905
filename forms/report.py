"""The report wizard as plain Python: its steps, their order, and each step's validation.

Errors are keyed by field name (the id of the field's first control) and hold msgids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import vocabulary as v
from config import Profile
from forms import _clean
from i18n import N_

MAX_DETAILS = v.MAX_DETAILS
MAX_SHORT = 500

# The order of the questions; "municipality" is asked only once a county was chosen and
# shares the county's step number, so "Step N of M" never jumps.
STEPS = ("who", "what", "danger", "when", "county", "municipality", "age", "details", "needs",
         "contact", "check")
NUMBERS = {s: i for i, s in enumerate(
    ("who", "what", "danger", "when", "county", "age", "details", "needs", "contact", "check"), 1)}
NUMBERS["municipality"] = NUMBERS["county"]
TOTAL = max(NUMBERS.values())

# Each step's question (the page's h1): (about me, about another child) where they differ.
QUESTIONS = {
    "who": N_("Who is this about?"),
    "what": (N_("What is happening to you?"), N_("What is happening to the child?")),
    "danger": (N_("Are you in danger right now?"), N_("Is the child in danger right now?")),
    "when": N_("When did it happen?"),
    "county": N_("In which county does it happen?"),
    "municipality": N_("In which municipality does it happen?"),
    "age": (N_("How old are you?"), N_("How old is the child?")),
    "details": N_("Is there anything else you want to tell us?"),
    "needs": N_("Is there anything that would help us talk with you?"),
    "contact": N_("How can we reach you?"),
    "check": N_("Check your answers before sending"),
}

# Where the check-your-answers page words a question differently.
SUMMARY_QUESTIONS = {"county": N_("Where does it happen?")}


# Easy read: the same questions in plainer words, with what can be skipped said out loud.
EASY_QUESTIONS = {
    "who": N_("Is this about you, or about someone else?"),
    "what": (N_("What is happening to you? You can choose more than one."),
             N_("What is happening to the child? You can choose more than one.")),
    "danger": (N_("Can someone hurt you right now?"), N_("Can someone hurt the child right now?")),
    "when": N_("When was it?"),
    "county": N_("Where does it happen? Choose the area. You can skip this."),
    "municipality": N_("Choose the town. You can skip this."),
    "age": (N_("How old are you?"), N_("How old is the child?")),
    "details": N_("Do you want to tell us more? You can skip this."),
    "needs": N_("What helps you talk with us? You can skip this."),
    "contact": N_("How can we talk with you again?"),
    "check": N_("Look at your answers. Then send them."),
}


def question(step: str, answers: dict, easy: bool = False) -> str:
    text = (EASY_QUESTIONS if easy else QUESTIONS)[step]
    if isinstance(text, tuple):
        return text[0] if answers.get("about", "me") == "me" else text[1]
    return text


@dataclass
class Result:
    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def next_step(step: str, answers: dict) -> str:
    following = STEPS[STEPS.index(step) + 1]
    if following == "municipality" and not answers.get("county"):
        return "age"
    return following


def after(step: str, answers: dict) -> str:
    """The step after an answered one: back to "check" when changing an answer from there."""
    following = next_step(step, answers)
    if answers.get("returning") and following != "municipality":
        answers.pop("returning")
        return "check"
    return following


def previous_step(step: str, answers: dict) -> str | None:
    index = STEPS.index(step)
    if index == 0:
        return None
    earlier = STEPS[index - 1]
    if earlier == "municipality" and not answers.get("county"):
        return "county"
    return earlier


# Every answer a report holds, as form field names: the send form carries them all (hidden), so
# a report kept in the offline outbox can be delivered even after its draft has expired.
ANSWER_FIELDS = ("about", "categories", "in_danger", "happened", "county", "municipality",
                 "age_group", "details", "needs", "needs_other", "contact", "phone", "email")
_KEY = re.compile(r"[A-Za-z0-9_-]{16,100}")


def hidden_answers(answers: dict) -> list[tuple[str, str]]:
    """(name, value) pairs of a draft's answers for hidden inputs; lists become repeated names."""
    pairs = []
    for name in ANSWER_FIELDS:
        value = answers.get(name)
        pairs += [(name, item) for item in (value if isinstance(value, list) else [value]) if item]
    return pairs


def validate_all(form, profile: Profile) -> Result:
    """A whole report in one form (the offline outbox delivers it so): every step, in order."""
    result = Result()
    step = "who"
    while step != "check":
        checked = validate(step, form, result.values, profile)
        result.values.update(checked.values)
        result.errors.update(checked.errors)
        step = next_step(step, result.values)
    key = form.get("idempotency_key") or ""
    if not _KEY.fullmatch(key):
        result.errors["idempotency_key"] = N_("This report could not be sent. Please make it again.")
    result.values["idempotency_key"] = key
    return result


def is_complete(answers: dict) -> bool:
    required = ("about", "categories", "in_danger", "happened", "age_group", "contact")
    return all(answers.get(k) for k in required)


def _required_choice(name: str, value: str | None, choices, message: str, result: Result):
    if (chosen := _clean.one_of(value, v.ids(choices))) is None:
        result.errors[name] = message
    else:
        result.values[name] = chosen


_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def phone_number(raw: str) -> str | None:
    number = _PHONE_SEPARATORS.sub("", _clean.text(raw))
    if number.startswith("00"):
        number = "+" + number[2:]
    digits = number[1:] if number.startswith("+") else number
    if not (digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15):
        return None
    return number


def email_address(raw: str) -> str | None:
    address = _clean.text(raw)
    if len(address) > 254 or not address.isascii() or not _EMAIL.match(address):
        return None
    return address


def validate(step: str, form, answers: dict, profile: Profile) -> Result:
    """Check one step's answers; `form` has get(name) and getall(name)."""
    result = Result()
    get = form.get
    if step == "who":
        _required_choice("about", get("about"), v.ABOUT, N_("Choose who this is about"), result)
    elif step == "what":
        chosen = [c for c in form.getall("categories") if c in v.ids(v.CATEGORIES)]
        if not chosen:
            result.errors["categories"] = N_("Choose at least one thing that is happening")
        result.values["categories"] = [c.id for c in v.CATEGORIES if c.id in chosen]
    elif step == "danger":
        _required_choice("in_danger", get("in_danger"), v.DANGER,
                         N_("Choose yes, no or I am not sure"), result)
    elif step == "when":
        _required_choice("happened", get("happened"), v.WHEN, N_("Choose when it happened"), result)
    elif step == "county":
        county = get("county") or ""
        if county and profile.county(county) is None:
            result.errors["county"] = N_("Choose a county from the list, or leave it empty")
        else:
            result.values.update(county=county, municipality=None)
    elif step == "municipality":
        county = profile.county(answers.get("county") or "")
        town = get("municipality") or ""
        if town and (county is None or town not in {m.id for m in county.municipalities}):
            result.errors["municipality"] = N_("Choose a municipality from the list, or leave it empty")
        else:
            result.values["municipality"] = town
    elif step == "age":
        _required_choice("age_group", get("age_group"), v.AGE_GROUPS, N_("Choose an age group"), result)
    elif step == "details":
        details = _clean.text(get("details"), multiline=True)
        if len(details) > MAX_DETAILS:
            result.errors["details"] = N_("Write 5,000 characters or fewer")
        result.values["details"] = details  # all of it, even too long: shown again, never cut
    elif step == "needs":
        other = _clean.text(get("needs_other"))
        chosen = set(form.getall("needs")) | ({"other"} if other else set())
        result.values["needs"] = [n.id for n in v.NEEDS if n.id in chosen]
        if len(other) > MAX_SHORT:
            result.errors["needs_other"] = N_("Write 500 characters or fewer")
        result.values["needs_other"] = other
    elif step == "contact":
        _validate_contact(form, result)
    return result


def _validate_contact(form, result: Result) -> None:
    _required_choice("contact", form.get("contact"), v.CONTACT,
                     N_("Choose how we may reach you"), result)
    method = result.values.get("contact")
    phone, email = phone_number(form.get("phone")), email_address(form.get("email"))
    # Store the normalised value when it is valid; otherwise keep what was typed, to show it again.
    result.values.update(phone=phone or _clean.text(form.get("phone"))[:200],
                         email=email or _clean.text(form.get("email"))[:400])
    if method == "phone" and phone is None:
        result.errors["phone"] = N_("Enter a phone number with 8 to 15 digits, like 069 123 4567")
    if method == "email" and email is None:
        result.errors["email"] = N_("Enter an email address, like name@example.com")


def contact_value(answers: dict) -> str:
    method = answers.get("contact")
    if method == "phone":
        return phone_number(answers.get("phone", "")) or ""
    if method == "email":
        return email_address(answers.get("email", "")) or ""
    return ""
