"""Text folding shared by the services: one rule for "same letters, any accents"."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics: "Fëmijë, çfarë" -> "femije, cfare"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits; apostrophes dropped: "don't" -> "dont")."""
    return re.findall(r"[a-z0-9]+", re.sub(r"['’‘`ʼ]", "", fold(text)))
