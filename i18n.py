"""gettext catalogs (locales/<lang>/LC_MESSAGES/messages.po) and the current request's language."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
current_language: ContextVar[str] = ContextVar("current_language", default="sq")
# The reader's "easy read" choice (cookie rp_easy=1): plainer words, larger text, more space.
easy_read: ContextVar[bool] = ContextVar("easy_read", default=False)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> NullTranslations:
    """Compile the .po in memory once per process: no build step, no stale .mo."""
    po = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def easy_read_from_cookies(cookie_header: str) -> bool:
    return any(part.strip() == "rp_easy=1" for part in cookie_header.split(";"))


def language_from_cookies(cookie_header: str, languages, default: str) -> str:
    """The language cookie's value when it names one of ours, else the default."""
    for part in cookie_header.split(";"):
        key, _, chosen = part.strip().partition("=")
        if key == "rp_lang" and chosen in languages:
            return chosen
    return default


def gettext(message: str, **variables: object) -> str:
    text = translations(current_language.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}
