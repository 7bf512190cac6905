"""Two app processes on one PostgreSQL: the child polls process A, the counsellor writes through
process B, and the message reaches the child within one poll interval.

A's idle polls are answered from its memory (204, no query); it only learns about B's write
through LISTEN/NOTIFY (Litestar channels). Without that, A would keep answering 204 for up to
a minute (LatestIds' max_age), so arrival within 2 s shows the channel at work.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack

import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, _pg_create, _pg_drop, need
from tests.journey import csrf
from tests.server import ROOT, always_open_profile, running_app

POLL_INTERVAL = 2.0  # the first step of app.js's back-off
PASSWORD = "Lule-Mali-Det-2026!"
HX = {"HX-Request": "true"}


@pytest.fixture
def database():
    name = f"raporto_workers_{uuid.uuid4().hex[:8]}"
    need(asyncio.run(_pg_create(name)), f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_pg_drop(name))


def test_a_message_crosses_workers_within_one_poll(database, tmp_path):
    env = {"DATABASE_URL": database, "RAPORTO_PROFILE": always_open_profile(tmp_path),
           "RAPORTO_SECRET": "workers-test-secret"}
    with ExitStack() as stack:
        a = stack.enter_context(running_app(**env))
        b = stack.enter_context(running_app(**env))
        made = subprocess.run(
            [sys.executable, "-c", "import asyncio, sys; from services import accounts; "
             "asyncio.run(accounts.create('vera', 'Vera Hoxha', 'counsellor', sys.argv[1]))",
             PASSWORD], cwd=ROOT, env={**os.environ, **env},
            capture_output=True, text=True, timeout=60, check=False)
        assert made.returncode == 0, made.stderr
        child = stack.enter_context(httpx.Client(base_url=a.url, cookies={"rp_lang": "en"}))
        staff = stack.enter_context(httpx.Client(base_url=b.url, cookies={"rp_lang": "en"}))

        token = csrf(child.get("/chat").text)
        started = child.post("/chat/start", data={"_csrf_token": token, "message": "hello",
                                                  "client_id": "w-1"})
        assert started.status_code == 303

        login = csrf(staff.get("/staff/login").text)
        assert staff.post("/staff/login", data={"_csrf_token": login, "username": "vera",
                                                "password": PASSWORD}).status_code == 303
        inbox = staff.get("/staff/inbox").text
        conversation = re.search(r"/staff/chat/(\d+)/accept", inbox).group(1)
        staff_token = csrf(inbox)
        accepted = staff.post(f"/staff/chat/{conversation}/accept",
                              data={"_csrf_token": staff_token})
        assert accepted.status_code == 303

        # A learns of B's accept (seq 2) through the channel, then goes quiet.
        deadline = time.monotonic() + 5
        while True:
            poll = child.get("/chat/messages?after=1&st=waiting", headers=HX)
            if poll.status_code == 200:
                break
            assert time.monotonic() < deadline, "the accept never reached worker A"
            time.sleep(0.1)
        assert "A counsellor has joined the chat." in poll.text
        assert child.get("/chat/messages?after=2&st=active", headers=HX).status_code == 204

        sent_at = time.monotonic()
        reply = staff.post(f"/staff/chat/{conversation}/send", data={
            "_csrf_token": staff_token, "message": "I am here, through worker B",
            "client_id": "b-1"})
        assert reply.status_code == 303
        while True:
            poll = child.get("/chat/messages?after=2&st=active", headers=HX)
            if poll.status_code == 200:
                break
            assert poll.status_code == 204 and poll.content == b""
            assert time.monotonic() - sent_at < POLL_INTERVAL, "not within one poll interval"
            time.sleep(0.05)
        arrived = time.monotonic() - sent_at
        assert "I am here, through worker B" in poll.text
        print(f"worker B's message reached worker A's poll after {arrived * 1000:.0f} ms")
