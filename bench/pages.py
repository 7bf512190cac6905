"""Prints the byte table of every child-facing page and fragment, in both languages, as sent
(brotli), plus the first-screen and first-visit totals. Figures, not a test: see tests/test_budgets.py.

Run: .venv/bin/python bench/pages.py
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["RAPORTO_DATA"] = tempfile.mkdtemp(prefix="raporto-bench-")
os.environ.setdefault("RAPORTO_SECRET", "bench")
os.environ.pop("DATABASE_URL", None)
from tests.server import always_open_profile  # noqa: E402  (the chat's pages at any hour)

os.environ["RAPORTO_PROFILE"] = always_open_profile(Path(os.environ["RAPORTO_DATA"]))

import asyncio  # noqa: E402
import re  # noqa: E402

from litestar.testing import TestClient  # noqa: E402
from piccolo.apps.migrations.commands.forwards import run_forwards  # noqa: E402

from app import create_app  # noqa: E402
from tests.journey import ANSWERS, HX, answer, chat_pages, hidden, send, start  # noqa: E402

ACCEPT = {"Accept-Encoding": "br, gzip"}


def static_sizes(client, html: str) -> dict[str, int]:
    sizes = {}
    for url in sorted(set(re.findall(r'(?:href|src)="(/static/[^"#]+)', html))):
        sizes[url.split("/")[-1]] = client.get(url, headers=ACCEPT).num_bytes_downloaded
    return sizes


def main() -> None:
    assert asyncio.run(run_forwards("all")).success
    with TestClient(create_app()) as client:
        for language in ("sq", "en"):
            client.get(f"/language/{language}?next=/")
            rows = []
            for name, url in (("home", "/"), ("report intro", "/report"), ("check code", "/check"),
                              ("info what-happens", "/info/what-happens"),
                              ("info staying-safe", "/info/staying-safe-online"),
                              ("404", "/nope")):
                r = client.get(url, headers=ACCEPT)
                rows.append((name, len(r.content), r.num_bytes_downloaded))
            token = start(client)
            for step, values in ANSWERS:
                r = client.get("/report", headers=ACCEPT)
                rows.append((f"step {step}", len(r.content), r.num_bytes_downloaded))
                f = answer(client, token, step, values, {**HX, **ACCEPT})
                rows.append((f"  fragment after {step}", len(f.content), f.num_bytes_downloaded))
            check = client.get("/report", headers=ACCEPT)
            receipt = send(client, token, hidden(check.text, "idempotency_key"), ACCEPT)
            rows.append(("receipt", len(receipt.content), receipt.num_bytes_downloaded))
            for name, r in chat_pages(client, ACCEPT):
                rows.append((("  " if "fragment" in name else "") + name, len(r.content),
                             r.num_bytes_downloaded))
            statics = static_sizes(client, receipt.text)
            css = next(v for k, v in statics.items() if k.endswith(".css"))
            print(f"\n[{language}] {'page':28} {'raw B':>8} {'brotli B':>9} {'+css B':>8}")
            for name, raw, wire in rows:
                print(f"[{language}] {name:28} {raw:8d} {wire:9d} {wire + css:8d}")
            home = rows[0][2]
            print(f"[{language}] static files (brotli): " + ", ".join(f"{k} {v}" for k, v in statics.items()))
            print(f"[{language}] first visit of home (HTML + all static): {home + sum(statics.values())} B")


if __name__ == "__main__":
    main()
