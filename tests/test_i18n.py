"""The catalogs: complete in Albanian and English, placeholders intact, in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def code_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=[("**/.venv/**", "ignore"), ("tests/**", "ignore"),
                                   ("bench/**", "ignore"), ("**.py", "python"),
                                   ("templates/**.html", "jinja2"),
                                   ("components/**.html", "jinja2")],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n,jinja2.ext.do"}},
            keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["sq", "en"])
def test_every_message_is_translated_with_its_placeholders(language):
    missing, broken = [], []
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(ids[0])
        elif any(set(PLACEHOLDER.findall(ids[-1])) != set(PLACEHOLDER.findall(text))
                 for text in strings):
            broken.append(ids[0])
    assert not missing, f"{len(missing)} untranslated in {language}: {missing[:10]}"
    assert not broken, f"placeholders differ in {language}: {broken[:10]}"


def test_catalogs_hold_every_string_of_the_code():
    in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog("sq") if m.id}
    missing = code_msgids() - in_catalog
    assert not missing, f"run `make messages`; not in the catalogs: {sorted(missing)[:10]}"


def test_albanian_uses_its_letters_and_the_agreed_words():
    strings = {m.id: m.string for m in catalog("sq") if isinstance(m.id, str)}
    text = " ".join(strings.values())
    assert "ë" in text and "ç" in text
    assert strings["Error:"] == "Gabim:"
    assert strings["Quick exit"] == "Dil shpejt"
    assert strings["Back"] == "Kthehu" and strings["Continue"] == "Vazhdo"
    assert strings["Step %(n)s of %(total)s"] == "Hapi %(n)s nga %(total)s"


def test_pages_render_in_both_languages(sqlite_client):
    assert 'lang="sq"' in sqlite_client.get("/").text
    switched = sqlite_client.get("/language/en?next=/report")
    assert switched.url.path == "/report" and 'lang="en"' in switched.text
    assert "Report what is happening" in switched.text
    sqlite_client.get("/language/sq?next=/")
    assert "Report what is happening" not in sqlite_client.get("/report").text
