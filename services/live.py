"""The latest message seq per conversation, held in memory and kept fresh across workers.

An idle chat poll compares the client's `after` with `LatestIds.get()` and answers 204 without a
database query. Every worker holds its own LatestIds; after a write commits, the worker that made
it bumps its own copy and calls `publish()`, and every worker's `listen()` task applies the bumps
published by the others (Litestar channels: LISTEN/NOTIFY on PostgreSQL, in-process on SQLite).

Key QUEUE (0, never a conversation id) carries the waiting queue's version (chat.queue_version()),
so a waiting room can answer 204 the same way while its queue position is unchanged.

Entries older than `max_age` seconds count as unknown: a lost notification (a dropped LISTEN
connection, a failed publish) costs at most one database read per conversation per `max_age`,
never a chat that looks idle for ever. Used from the event loop only; not thread-safe.

Litestar is imported only inside channels_plugin(): the rest works with any object that has
ChannelsPlugin's publish/subscribe/unsubscribe methods.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.channels import ChannelsPlugin

CHANNEL = "chat"
QUEUE = 0
log = logging.getLogger(__name__)


class LatestIds:
    """Per-conversation latest seq; monotonic, bounded (least recently used dropped), aging."""

    def __init__(self, max_entries: int = 10_000, max_age: float | None = 60.0,
                 clock=time.monotonic):
        self._seqs: OrderedDict[int, tuple[int, float]] = OrderedDict()
        self._max_entries, self._max_age, self._clock = max_entries, max_age, clock

    def get(self, conversation_id: int) -> int | None:
        """The latest seq, or None when unknown or too old: then read the DB once and set()."""
        entry = self._seqs.get(conversation_id)
        if entry is None:
            return None
        if self._max_age is not None and self._clock() - entry[1] > self._max_age:
            return None
        return entry[0]

    def set(self, conversation_id: int, seq: int) -> None:
        """Record a value read from the database; never lowers it (a bump may have overtaken)."""
        self.bump(conversation_id, seq)

    def bump(self, conversation_id: int, seq: int) -> None:
        """Raise the latest seq to `seq`; a lower or equal value only refreshes the entry's age."""
        entry = self._seqs.pop(conversation_id, None)
        self._seqs[conversation_id] = (max(seq, entry[0]) if entry else seq, self._clock())
        while len(self._seqs) > self._max_entries:
            self._seqs.popitem(last=False)

    def forget(self, conversation_id: int) -> None:
        """Drop a conversation (e.g. once it has ended and been read)."""
        self._seqs.pop(conversation_id, None)

    def __len__(self) -> int:
        return len(self._seqs)


def encode(conversation_id: int, seq: int) -> bytes:
    """The channel payload: b"<conversation_id>:<seq>"."""
    return f"{int(conversation_id)}:{int(seq)}".encode()


def decode(payload: bytes | str) -> tuple[int, int] | None:
    """The (conversation_id, seq) of a payload, or None when it is malformed."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    left, sep, right = text.partition(":")
    if not sep or not left.isdigit() or not right.isdigit():
        return None
    return int(left), int(right)


async def publish(channels: ChannelsPlugin, conversation_id: int, seq: int) -> None:
    """Tell every worker (this one included) about a committed seq; call it after the commit."""
    # Awaited straight on the backend, not queued with channels.publish(): a failure is logged
    # here instead of killing the plugin's shared publishing task (_pub_worker has no handler).
    try:
        await channels.wait_published(encode(conversation_id, seq), channels=[CHANNEL])
    except Exception:  # a lost notification only delays other workers until max_age
        log.warning("could not publish chat bump %s:%s", conversation_id, seq, exc_info=True)


async def listen(channels: ChannelsPlugin, latest: LatestIds,
                 ready: asyncio.Event | None = None) -> None:
    """Apply bumps from the "chat" channel to `latest` until cancelled (a background task)."""
    subscriber = await channels.subscribe([CHANNEL])
    if ready is not None:
        ready.set()
    try:
        async for payload in subscriber.iter_events():
            if (parsed := decode(payload)) is not None:
                latest.bump(*parsed)
    finally:
        with suppress(Exception):
            await channels.unsubscribe(subscriber)


@asynccontextmanager
async def listening(channels: ChannelsPlugin, latest: LatestIds):
    """Run listen() for the duration of the block; it is subscribed before the block starts."""
    ready = asyncio.Event()
    task = asyncio.create_task(listen(channels, latest, ready))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # raises why the subscription failed
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


class Hub:
    """This worker's latest ids, and the channels that keep every worker's copy fresh."""

    def __init__(self, latest: LatestIds | None = None):
        self.latest = latest or LatestIds()
        self.channels: ChannelsPlugin | None = None  # set while the app runs (LivePlugin)

    async def current(self, key: int, load) -> int:
        """The latest value for `key` from memory; `await load()` from the database when unknown."""
        value = self.latest.get(key)
        if value is None:
            value = await load()
            self.latest.set(key, value)
        return value

    async def announce(self, key: int, value: int) -> None:
        """After a commit: raise this worker's copy at once, then tell the other workers."""
        self.latest.bump(key, value)
        if self.channels is not None:
            await publish(self.channels, key, value)


HUB = Hub()


def channels_plugin(database_url: str) -> ChannelsPlugin:
    """LISTEN/NOTIFY over asyncpg on PostgreSQL (any number of workers); in-process otherwise."""
    from litestar.channels import ChannelsPlugin
    from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
    from litestar.channels.backends.memory import MemoryChannelsBackend

    if database_url.startswith(("postgres://", "postgresql://")):
        backend = AsyncPgChannelsBackend(dsn=database_url)
    else:
        backend = MemoryChannelsBackend()
    # A slow listener drops the oldest bumps rather than growing without bound; max_age heals it.
    return ChannelsPlugin(backend=backend, channels=[CHANNEL], subscriber_max_backlog=10_000,
                          subscriber_backlog_strategy="dropleft")


def live_plugin(channels: ChannelsPlugin, hub: Hub = HUB):
    """An app plugin that runs `listen()` for the app's lifetime, after `channels` has started."""
    from litestar.plugins import InitPluginProtocol

    @asynccontextmanager
    async def lifespan(_app):
        hub.latest = LatestIds()  # nothing known yet about this app's database
        hub.channels = channels
        try:
            async with listening(channels, hub.latest):
                yield
        finally:
            hub.channels = None

    class LivePlugin(InitPluginProtocol):
        def on_app_init(self, app_config):
            app_config.lifespan.append(lifespan)  # after the channels plugin's own lifespan
            return app_config

    return LivePlugin()
