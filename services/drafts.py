"""Report drafts: the answers so far live on the server, found by a cookie token's hash."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from db.tables import Draft
from services._db import keyed_hash, now, write_transaction

LIFETIME = timedelta(hours=2)


@dataclass
class DraftState:
    id: int
    idempotency_key: str
    answers: dict = field(default_factory=dict)
    report_id: int | None = None

    @property
    def step(self) -> str:
        return self.answers.get("step", "who")


async def start() -> tuple[str, DraftState]:
    """A new draft; returns the cookie token (only its hash is stored) and the state."""
    token = secrets.token_urlsafe(32)
    created = now()
    answers = {"step": "who"}
    row = Draft(token_hash=keyed_hash("draft", token), idempotency_key=secrets.token_urlsafe(24),
                answers=json.dumps(answers), created_at=created, expires_at=created + LIFETIME)
    async with write_transaction():
        await Draft.delete().where(Draft.expires_at < created)
        await row.save()
    return token, DraftState(row.id, row.idempotency_key, answers)


async def load(token: str | None) -> DraftState | None:
    if not token:
        return None
    row = await Draft.select().where(
        (Draft.token_hash == keyed_hash("draft", token)) & (Draft.expires_at > now())
    ).first()
    if row is None:
        return None
    return DraftState(row["id"], row["idempotency_key"], json.loads(row["answers"]), row["report_id"])


async def save(state: DraftState) -> None:
    async with write_transaction():
        await Draft.update({Draft.answers: json.dumps(state.answers, ensure_ascii=False),
                            Draft.report_id: state.report_id}).where(Draft.id == state.id)


async def discard(token: str | None) -> None:
    if token:
        async with write_transaction():
            await Draft.delete().where(Draft.token_hash == keyed_hash("draft", token))
