"""Refresh the catalogs from the code: extract, update sq/en, and keep English as the msgids.

Run with `make messages`. Albanian entries that are new come out empty; tests/test_i18n.py
fails until every one is translated.
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent


def run(*args: str) -> None:
    subprocess.run([str(BIN / "pybabel"), *args], cwd=ROOT, check=True)


def main() -> None:
    run("extract", "-F", "babel.cfg", "-k", "N_", "-o", "locales/messages.pot", "--no-location",
        "--omit-header", "--sort-output", "--ignore-dirs=.venv tests bench data", ".")
    run("update", "-i", "locales/messages.pot", "-d", "locales", "--no-fuzzy-matching",
        "--omit-header", "--no-wrap", "--ignore-obsolete")
    en = HERE / "en" / "LC_MESSAGES" / "messages.po"
    with en.open("rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if isinstance(message.id, tuple) and not all(message.string):
            message.string = message.id  # singular and plural, as written in the code
        elif message.id and not message.string:
            message.string = message.id
    with en.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=True, sort_output=True)


if __name__ == "__main__":
    main()
