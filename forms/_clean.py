"""Input hygiene shared by every form: nothing a user can send should reach the database raw."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (except tab and newline), lone surrogates and non-characters.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text(value: str | None, multiline: bool = False) -> str:
    value = _UNSAFE.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    value = unicodedata.normalize("NFC", value)  # after removal, so the result stays NFC
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


def one_of(value: str | None, allowed: frozenset[str]) -> str | None:
    return value if value in allowed else None
