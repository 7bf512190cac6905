"""A whole journey against a real server, then a search of the database and the logs for the
client's address and user agent: neither may be anywhere."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, _pg_create, _pg_drop, need
from tests.journey import fill_all, hidden, receipt_code, send, start
from tests.server import running_app

CLIENT_ADDRESS = "127.0.0.2"  # a loopback address only the test client uses


def _journey(base_url: str, user_agent: str) -> None:
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
    with httpx.Client(base_url=base_url, transport=transport, follow_redirects=True,
                      headers={"User-Agent": user_agent, "X-Forwarded-For": CLIENT_ADDRESS}) as c:
        token = start(c)
        check = fill_all(c, token)
        code = receipt_code(send(c, token, hidden(check.text, "idempotency_key")).text)
        assert code
        c.get("/check")
        opened = c.post("/check/code", data={"_csrf_token": token, "code": code})
        assert opened.status_code == 200
        c.post("/check/add", data={"_csrf_token": token, "message": "More"})
        c.post("/check/code", data={"_csrf_token": token, "code": "1" * 16})
        c.get("/no-such-page")
        assert c.get("/exit", follow_redirects=False).status_code == 303


async def _postgres_dump(dsn: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        dump = []
        for table in tables:
            rows = await conn.fetch(f'SELECT row_to_json(t)::text AS j FROM "{table}" t')
            dump.extend(r["j"] for r in rows)
        return "\n".join(dump)
    finally:
        await conn.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_no_address_or_user_agent_is_stored_or_logged(engine):
    user_agent = f"PrivacyProbe/{uuid.uuid4().hex}"
    env = {}
    pg_name = f"raporto_privacy_{uuid.uuid4().hex[:8]}"
    if engine == "postgres":
        need(asyncio.run(_pg_create(pg_name)), f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + pg_name
    try:
        with running_app(**env) as server:
            _journey(server.url, user_agent)
            if engine == "postgres":
                stored = asyncio.run(_postgres_dump(env["DATABASE_URL"])).encode()
            else:
                stored = b"".join(p.read_bytes() for p in server.data.glob("raporto.sqlite3*"))
        logged = server.log.read_bytes()
        assert logged, "the server wrote no log at all: the search would prove nothing"
        for needle in (CLIENT_ADDRESS.encode(), user_agent.encode(), b"PrivacyProbe"):
            assert needle not in stored, f"{needle!r} found in the {engine} database"
            assert needle not in logged, f"{needle!r} found in the server log"
        assert b'"about"' not in logged  # and no report content in the log either
        json.dumps(stored.decode("utf-8", "replace"))  # the dump was readable
    finally:
        if engine == "postgres":
            asyncio.run(_pg_drop(pg_name))
