"""Reading and changing the database from a test while the app (on its own loop) runs."""

from __future__ import annotations

import asyncio


def run(query):
    """Run a Piccolo query on a fresh connection: the app's pool belongs to another event loop."""
    return asyncio.run(query.run(in_pool=False))


def rows(table, *where):
    query = table.select().order_by(table._meta.primary_key)
    for condition in where:
        query = query.where(condition)
    return run(query)
