"""The audit log: who did what, when. The application only ever inserts into it."""

from __future__ import annotations

from typing import Protocol

from db.tables import AuditEntry
from services._db import now


class Actor(Protocol):
    id: int
    display_name: str


async def record(actor: Actor | None, action: str, target: str = "", detail: str = "") -> None:
    """Write one entry; call it inside the transaction of the change it records."""
    await AuditEntry(at=now(), actor=actor.id if actor else None,
                     actor_name=actor.display_name if actor else "", action=action,
                     target=target[:60], detail=detail[:2000]).save()
