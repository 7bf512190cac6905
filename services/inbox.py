"""The inbox's version number: every change a counsellor's inbox shows bumps it, so a poll that
finds the same number answers 204 without rendering anything."""

from __future__ import annotations

from db.tables import Counter

NAME = "inbox"


async def bump() -> None:
    """Call inside the write transaction of the change."""
    await Counter.insert(Counter(name=NAME, value=0)).on_conflict(action="DO NOTHING")
    await Counter.update({Counter.value: Counter.value + 1}).where(Counter.name == NAME)


async def version() -> int:
    row = await Counter.select(Counter.value).where(Counter.name == NAME).first()
    return row["value"] if row else 0
