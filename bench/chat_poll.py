"""How cheap is an idle chat poll? Figures from one run against one server process.

Starts the app as a real server (`app.py serve`, one process; SQLite unless DATABASE_URL is
set), opens a chat, then drives two endpoints of that same process with the same load:
  - GET /healthz            a plaintext "ok" (the baseline: routing, middleware, headers)
  - GET /chat/messages?...  the child's idle poll (204, answered from memory)
and prints requests per second for each and their ratio (goal >= 0.8), plus the bytes on the
wire of an idle poll and of a poll that brings one message (brotli, as browsers ask).

The load comes from plain asyncio sockets with keep-alive (no client library in the way), so
the client is cheaper per request than the server and the ratio compares the server's work.
Ratios within one run, not absolute speeds, are the figures to compare between changes.

Run: .venv/bin/python bench/chat_poll.py [seconds per endpoint, default 5] [connections, 32]
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.journey import csrf  # noqa: E402
from tests.server import always_open_profile, running_app  # noqa: E402

HX = {"HX-Request": "true", "Accept-Encoding": "br, gzip"}


def request_bytes(path: str, host: str, cookie: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nHX-Request: true\r\n"
            f"Accept-Encoding: br, gzip\r\nCookie: {cookie}\r\n\r\n").encode()


async def _one_connection(host: str, port: int, payload: bytes, until: float) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < until:
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if length and int(length.group(1)):
                await reader.readexactly(int(length.group(1)))
            if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 204")):
                raise RuntimeError(head.decode(errors="replace"))
            done += 1
    finally:
        writer.close()
    return done


async def rate(url: str, path: str, cookie: str, seconds: float, connections: int) -> float:
    host, port = url.removeprefix("http://").split(":")
    payload = request_bytes(path, f"{host}:{port}", cookie)
    await _one_connection(host, int(port), payload, time.perf_counter() + 0.5)  # warm up
    started = time.perf_counter()
    until = started + seconds
    counts = await asyncio.gather(*(_one_connection(host, int(port), payload, until)
                                    for _ in range(connections)))
    return sum(counts) / (time.perf_counter() - started)


def wire_bytes(response: httpx.Response) -> int:
    """Status line + headers + body as sent (body still compressed)."""
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    head += "".join(f"{k.decode()}: {v.decode()}\r\n" for k, v in response.headers.raw) + "\r\n"
    return len(head.encode()) + response.num_bytes_downloaded


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    folder = Path(tempfile.mkdtemp(prefix="raporto-bench-"))
    env = {"RAPORTO_PROFILE": always_open_profile(folder), "RAPORTO_SECRET": "bench"}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    with running_app(**env) as server, httpx.Client(base_url=server.url,
                                                    cookies={"rp_lang": "en"}) as child:
        token = csrf(child.get("/chat").text)
        child.post("/chat/start", data={"_csrf_token": token, "message": "hello",
                                        "client_id": "bench-1"})
        page = child.get("/chat").text
        fields = dict(re.findall(r'name="(after|st|q|pos)" value="([^"]*)"', page))
        poll = "/chat/messages?" + "&".join(f"{k}={v}" for k, v in fields.items())
        cookie = "; ".join(f"{k}={v}" for k, v in child.cookies.items())
        idle = child.get(poll, headers=HX)
        assert idle.status_code == 204 and idle.content == b"", idle.status_code

        plain_rps = asyncio.run(rate(server.url, "/healthz", cookie, seconds, connections))
        poll_rps = asyncio.run(rate(server.url, poll, cookie, seconds, connections))

        child.post("/chat/send", headers=HX, data={
            "_csrf_token": token, "message": "Are you there? I need to talk to someone.",
            "client_id": "bench-2", **fields})
        one = child.get(poll, headers=HX)
        assert one.status_code == 200 and "I need to talk" in one.text
        database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
        print(f"chat poll bench: one server process ({database}), {connections} keep-alive "
              f"connections, {seconds:g} s per endpoint")
        print(f"  plaintext GET /healthz      {plain_rps:8.0f} req/s")
        print(f"  idle poll GET /chat/messages {poll_rps:7.0f} req/s")
        print(f"  ratio idle poll / plaintext  {poll_rps / plain_rps:7.2f}   (goal >= 0.8)")
        print(f"  idle poll on the wire: status 204, body {len(idle.content)} B, "
              f"{wire_bytes(idle)} B with headers")
        print(f"  one-message poll on the wire: body {one.num_bytes_downloaded} B "
              f"({one.headers.get('content-encoding', 'identity')}), {wire_bytes(one)} B with headers")


if __name__ == "__main__":
    main()
