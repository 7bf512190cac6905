"""The report's answer choices: ids stored in the database, words shown to children.

Words are gettext msgids, translated where they are shown. Categories follow Child Helpline
International's classification (CHI names are what staff and statistics see).
"""

from __future__ import annotations

from dataclasses import dataclass

from i18n import N_

# The longest free text a report holds ("anything else", a follow-up message, a chat's summary).
MAX_DETAILS = 5000


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    easy: str = ""  # a plainer wording, where one helps


@dataclass(frozen=True)
class Category:
    id: str
    label_me: str
    label_other: str
    chi_category: str
    chi_subcategory: str
    always_urgent: bool = False
    easy_me: str = ""  # easy read, when the child writes about themselves


ABOUT = (
    Choice("me", N_("About me")),
    Choice("other_child", N_("About another child")),
    Choice("adult", N_("I am an adult worried about a child")),
)

CATEGORIES = (
    Category("physical", N_("Someone hurts my body"), N_("Someone hurts the child's body"),
             N_("Violence"), N_("Physical violence")),
    Category("sexual", N_("Someone touches me or makes me do sexual things"),
             N_("Someone touches the child or makes them do sexual things"),
             N_("Violence"), N_("Sexual violence"),
             easy_me=N_("Someone touches my private parts, or wants me to touch theirs")),
    Category("emotional", N_("Someone scares, insults or threatens me"),
             N_("Someone scares, insults or threatens the child"),
             N_("Violence"), N_("Emotional (psychological) violence")),
    Category("bullying", N_("Bullying"), N_("Bullying"), N_("Violence"), N_("Bullying"),
             easy_me=N_("Other children hurt me or leave me out, again and again")),
    Category("online", N_("Bullying or abuse on the internet or phone"),
             N_("Bullying or abuse on the internet or phone"),
             N_("Violence"), N_("Cyberbullying / online sexual abuse and exploitation"),
             easy_me=N_("Someone is mean to me or scares me on the phone or internet")),
    Category("neglect", N_("Nobody takes care of me"), N_("Nobody takes care of the child"),
             N_("Violence"), N_("Neglect")),
    Category("exploitation", N_("I am made to work, beg or marry"),
             N_("The child is made to work, beg or marry"),
             N_("Commercial exploitation"), N_("Child labour, begging, early marriage"),
             easy_me=N_("I must work, beg or get married")),
    Category("domestic", N_("Adults at home are violent with each other"),
             N_("Adults at the child's home are violent with each other"),
             N_("Violence"), N_("Witness of domestic violence"),
             easy_me=N_("Grown-ups at home hit or shout at each other")),
    Category("selfharm", N_("I feel very sad or want to hurt myself"),
             N_("The child feels very sad or wants to hurt themselves"),
             N_("Mental health"), N_("Self-harm and suicidal thoughts"), always_urgent=True),
    Category("other", N_("Something else"), N_("Something else"), N_("Other"), N_("Other")),
)

DANGER = (
    Choice("yes", N_("Yes, I am in danger now")),
    Choice("no", N_("No")),
    Choice("not_sure", N_("I am not sure")),
)
DANGER_OTHER = (
    Choice("yes", N_("Yes, the child is in danger now")),
    Choice("no", N_("No")),
    Choice("not_sure", N_("I am not sure")),
)

WHEN = (
    Choice("now", N_("It is happening now")),
    Choice("days", N_("In the last few days")),
    Choice("month", N_("In the last month")),
    Choice("earlier", N_("Longer ago")),
    Choice("ongoing", N_("It keeps happening")),
    Choice("unknown", N_("I don't know")),
)

AGE_GROUPS = (
    Choice("0-6", N_("6 or younger")),
    Choice("7-9", N_("7 to 9")),
    Choice("10-12", N_("10 to 12")),
    Choice("13-15", N_("13 to 15")),
    Choice("16-17", N_("16 or 17")),
    Choice("18+", N_("18 or older")),
    Choice("unknown", N_("I don't know or I'd rather not say")),
)

NEEDS = (
    Choice("screen_reader", N_("I use a screen reader")),
    Choice("simple", N_("Please write simply")),
    Choice("deaf", N_("I am deaf or hard of hearing: text only, please"),
           N_("I cannot hear well. Please write to me.")),
    Choice("sign", N_("I need someone who knows sign language")),
    Choice("other", N_("Something else")),
)

CONTACT = (
    Choice("anonymous", N_("Stay anonymous: I will check for an answer with my code"),
           N_("Do not use my name. I will look for your answer with my code.")),
    Choice("phone", N_("Call me back")),
    Choice("email", N_("Send me an email")),
)

# What the child's timeline calls each case status.
STATUSES = (
    Choice("received", N_("We received your report")),
    Choice("read", N_("A counsellor has read it")),
    Choice("helping", N_("Someone is helping")),
    Choice("referred", N_("Referred to a service that can help")),
    Choice("closed", N_("Your report is closed")),
)

SERVICE_KINDS = {
    "child_protection": N_("the Child Protection Unit (social services)"),
    "police": N_("the police"),
    "health": N_("health services"),
    "mental_health": N_("mental health services"),
    "education": N_("the school or education services"),
    "legal_aid": N_("free legal help"),
    "ngo": N_("an organisation that helps children"),
}

# The same kinds as staff lists name them.
SERVICE_KIND_NAMES = {
    "child_protection": N_("Child Protection Unit (social services)"),
    "police": N_("Police"),
    "health": N_("Health"),
    "mental_health": N_("Mental health"),
    "education": N_("Education"),
    "legal_aid": N_("Legal aid"),
    "ngo": N_("Organisation (NGO)"),
}

EMERGENCY_KINDS = {
    "emergency": N_("Emergency"),
    "police": N_("Police"),
    "ambulance": N_("Ambulance"),
    "fire": N_("Fire service"),
}


def ids(choices) -> frozenset[str]:
    return frozenset(c.id for c in choices)


def by_id(choices, choice_id: str):
    return next((c for c in choices if c.id == choice_id), None)

# The staff workflow of a case.
STAFF_STATUSES = {
    "new": N_("New"),
    "open": N_("Open"),
    "referred": N_("Referred"),
    "closed": N_("Closed"),
}

GENDERS = {"girl": N_("Girl"), "boy": N_("Boy"), "other": N_("Other or unsaid")}

REFERRAL_STATUSES = {
    "sent": N_("Sent"),
    "accepted": N_("Accepted"),
    "done": N_("Done"),
    "declined": N_("Declined"),
}


def chi_names(category_ids: str, translate=lambda text: text) -> list[str]:
    """Staff see CHI category names: "Violence: Bullying" (translated where shown)."""
    chosen = set(category_ids.split(","))
    return [f"{translate(c.chi_category)}: {translate(c.chi_subcategory)}"
            for c in CATEGORIES if c.id in chosen]

EVENT_KINDS = {
    "status": N_("Reporter's status"),
    "reporter_message": N_("Message from the reporter"),
    "counsellor_reply": N_("Reply to the reporter"),
    "internal_note": N_("Internal note"),
    "assigned": N_("Assigned"),
    "urgency": N_("Urgency changed"),
    "referral": N_("Referral updated"),
}
