"""Fixed-window attempt limits shared by all workers; keys are hashes, never addresses."""

from __future__ import annotations

from datetime import timedelta

from db.tables import Throttle
from services._db import now, write_transaction


async def allow(key: str, limit: int, window: timedelta) -> bool:
    """Count one attempt against `key`; False once `limit` attempts fell in the current window."""
    moment = now()
    async with write_transaction():
        await Throttle.insert(Throttle(key=key, window_start=moment, count=0)).on_conflict(
            action="DO NOTHING")
        await Throttle.update({Throttle.count: 0, Throttle.window_start: moment}).where(
            (Throttle.key == key) & (Throttle.window_start <= moment - window))
        counted = await Throttle.update({Throttle.count: Throttle.count + 1}).where(
            (Throttle.key == key) & (Throttle.count < limit)).returning(Throttle.id)
    return bool(counted)
