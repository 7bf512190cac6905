"""The library editor's form: one page version (supervisors and admins)."""

from __future__ import annotations

import re
from datetime import date

from config import Profile
from forms import _clean
from forms.report import Result
from i18n import N_

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
HTTPS = re.compile(r"https://[^\s\"'<>]+")
LIMITS = {"title": 200, "summary": 300, "body": 20000, "easy_read": 10000}
ACTIONS = ("preview", "draft", "publish")


def page(form, profile: Profile, audiences, topics, new: bool) -> Result:
    result = Result()
    values = result.values
    errors = result.errors
    if new:
        values["slug"] = _clean.text(form.get("slug")).lower()[:80]
        if not SLUG.fullmatch(values["slug"]):
            errors["slug"] = N_("Write the address with small letters, digits and dashes, "
                                "like staying-safe")
        values["language"] = form.get("language")
        if values["language"] not in profile.languages:
            errors["language"] = N_("Choose a language")
    for name, allowed, message in (("audience", audiences, N_("Choose who the page is for")),
                                   ("topic", topics, N_("Choose a topic"))):
        values[name] = form.get(name)
        if values[name] not in allowed:
            errors[name] = message
    for name, limit in LIMITS.items():
        multiline = name in ("body", "easy_read")
        values[name] = _clean.text(form.get(name), multiline=multiline)[: limit * 2]
        if len(values[name]) > limit:
            errors[name] = N_("This is too long")
    for name, message in (("title", N_("Write a title")), ("summary", N_("Write a one-line summary")),
                          ("body", N_("Write the page"))):
        if not values[name] and name not in errors:
            errors[name] = message
    values["refs_text"] = _clean.text(form.get("refs"), multiline=True)[:4000]
    values["refs"] = []
    for line in filter(None, (line.strip() for line in values["refs_text"].split("\n"))):
        title, _, url = line.rpartition("|")
        if not title.strip() or not HTTPS.fullmatch(url.strip()):
            errors["refs"] = N_("Write each source on its own line as: title | https://address")
            break
        values["refs"].append({"title": title.strip(), "url": url.strip()})
    reviewed = (form.get("reviewed") or "").strip()
    try:
        values["reviewed"] = date.fromisoformat(reviewed) if reviewed else None
    except ValueError:
        values["reviewed"] = None
        errors["reviewed"] = N_("Write the date as year-month-day, like 2026-11-28")
    values["reviewed_text"] = reviewed[:20]
    action = form.get("action")
    values["action"] = action if action in ACTIONS else "preview"
    return result


def refs_text(refs: list) -> str:
    """The references as the editor shows them: one "title | url" per line."""
    return "\n".join(f"{r['title']} | {r['url']}" for r in refs)
