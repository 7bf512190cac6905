"""Live chat's server side (services/chat.py, services/live.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config import get_settings
from db.tables import Account, AuditEntry, ChatMessage, Conversation, Report
from services import chat, live
from services._db import keyed_hash, now
from services.accounts import StaffUser


def run(awaitable):
    """Await a coroutine or a Piccolo query on a fresh event loop."""
    async def main():
        return await awaitable

    return asyncio.run(main())


async def _staff(name: str, role: str = "counsellor", active: bool = True) -> StaffUser:
    account = Account(username=f"{name.lower()}-{uuid.uuid4().hex[:8]}", display_name=name,
                      role=role, active=active, password_hash="!", created_at=now())
    await account.save()
    return StaffUser(account.id, account.username, name, role)


def staff(name: str, role: str = "counsellor", active: bool = True) -> StaffUser:
    return run(_staff(name, role, active))


async def _report() -> int:
    key = uuid.uuid4().hex
    report = Report(reference="R-" + key[:6].upper(), receipt_hash=key, idempotency_hash=key,
                    about="me", categories="bullying", in_danger="no", happened="today",
                    age_group="13-15", contact_method="anonymous", language="sq",
                    created_at=now(), updated_at=now())
    await report.save()
    return report.id


def new_chat(first: str | None = None, topic: str = "", client_id: str | None = "c-1"):
    return run(chat.start("sq", topic, first, client_id))


def lines(conversation_id: int, for_child: bool, after: int = 0) -> list[chat.Line]:
    return run(chat.messages_after(conversation_id, after, for_child=for_child))


def audit_count(action: str, conversation_id: int) -> int:
    return run(AuditEntry.count().where((AuditEntry.action == action)
                                        & (AuditEntry.target == f"conversation:{conversation_id}")))


def clear_queue() -> None:
    run(Conversation.update({Conversation.status: "ended"}).where(
        Conversation.status == "waiting"))


# --- starting, tokens ------------------------------------------------------------------------

def test_start_stores_only_the_token_hash(backend):
    token, cid = new_chat("Përshëndetje", topic="bullying")
    row = run(Conversation.select().where(Conversation.id == cid).first())
    assert row["token_hash"] == keyed_hash("chat", token) != token
    assert token not in repr(row)
    assert (row["status"], row["topic"], row["language"], row["urgent"]) == \
        ("waiting", "bullying", "sq", False)
    found = run(chat.conversation_for(token))
    assert found.id == cid and found.counsellor_name == ""
    assert run(chat.conversation_for(token + "x")) is None
    assert run(chat.conversation_for(None)) is None
    [first] = lines(cid, for_child=True)
    assert (first.seq, first.author, first.kind, first.body) == (1, "child", "message",
                                                                 "Përshëndetje")


def test_start_without_message_and_odd_input(backend):
    token, cid = run(chat.start("xx", "not-a-topic", "   ", None))
    found = run(chat.conversation_for(token))
    assert (found.language, found.topic) == (get_settings().profile.default_language, "")
    assert run(chat.latest_seq(cid)) == 0
    _, urgent_cid = new_chat(topic="selfharm")  # an always-urgent category
    assert run(chat.details(urgent_cid)).urgent


def test_tokens_are_unique(backend):
    tokens = {new_chat()[0] for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 40 for t in tokens)


# --- messages --------------------------------------------------------------------------------

def test_duplicate_send_is_stored_once(backend):
    _, cid = new_chat("first", client_id="m-1")
    again = run(chat.post(cid, "child", "first", "m-1"))
    assert (again.seq, again.duplicate) == (1, True)
    posted = run(chat.post(cid, "child", "second", "m-2"))
    retried = run(chat.post(cid, "child", "second", "m-2"))
    assert (posted.seq, posted.duplicate) == (2, False)
    assert (retried.seq, retried.duplicate) == (2, True)
    assert run(ChatMessage.count().where(ChatMessage.conversation == cid)) == 2


def test_twenty_concurrent_posts_get_seqs_1_to_20(backend):
    _, cid = new_chat()

    async def burst():
        sends = [chat.post(cid, "child", f"message {i}", f"burst-{i}") for i in range(20)]
        retries = [chat.post(cid, "child", f"message {i}", f"burst-{i}") for i in range(0, 20, 4)]
        return await asyncio.gather(*sends, *retries)

    results = run(burst())
    by_client: dict[str, list[chat.Posted]] = {}
    for i, posted in [*enumerate(results[:20]), *zip(range(0, 20, 4), results[20:], strict=True)]:
        by_client.setdefault(f"burst-{i}", []).append(posted)
    # whichever copy of a send ran first stored it; its twin got the same seq back
    assert all(sum(not p.duplicate for p in twins) == 1 for twins in by_client.values())
    assert all(len({p.seq for p in twins}) == 1 for twins in by_client.values())
    assert sorted(twins[0].seq for twins in by_client.values()) == list(range(1, 21))
    stored = run(ChatMessage.select(ChatMessage.seq, ChatMessage.client_id).where(
        ChatMessage.conversation == cid).order_by(ChatMessage.seq))
    assert [r["seq"] for r in stored] == list(range(1, 21))
    assert {r["client_id"] for r in stored} == {f"burst-{i}" for i in range(20)}


def test_the_database_refuses_a_second_copy(backend):
    """The unique indexes themselves, without the service's checks in front of them."""
    _, cid = new_chat("hi", client_id="dup")
    with pytest.raises(Exception) as caught:
        run(ChatMessage(conversation=cid, seq=2, author="child", body="x", client_id="dup",
                        created_at=now()).save())
    assert chat._is_duplicate(caught.value)
    with pytest.raises(Exception) as caught:
        run(ChatMessage(conversation=cid, seq=1, author="child", body="x", client_id="other",
                        created_at=now()).save())
    assert chat._is_duplicate(caught.value)


def test_notes_are_hidden_from_the_child(backend):
    ana = staff("Ana")
    _, cid = new_chat("hello")
    run(chat.accept(cid, ana))
    run(chat.post(cid, "counsellor", "Hi, I am here.", "s-1", actor=ana))
    run(chat.post(cid, "counsellor", "Sounds like bullying at school", "s-2", actor=ana,
                  kind="note"))
    run(chat.post(cid, "child", "ok", "m-2"))
    child = lines(cid, for_child=True)
    assert [(x.author, x.kind) for x in child] == [
        ("child", "message"), ("system", "message"), ("counsellor", "message"),
        ("child", "message")]
    assert all(x.actor_name == "" for x in child)
    assert child[1].body == chat.ACCEPTED
    everything = lines(cid, for_child=False)
    assert [x.seq for x in everything] == [1, 2, 3, 4, 5]
    assert everything[3].kind == "note" and everything[3].actor_name == "Ana"
    assert [x.seq for x in lines(cid, for_child=True, after=3)] == [5]
    assert run(chat.latest_seq(cid)) == 5


def test_who_may_post(backend):
    ana, ben, boss = staff("Ana"), staff("Ben"), staff("Sup", role="supervisor")
    _, cid = new_chat()
    with pytest.raises(chat.ChatError):  # nobody has accepted it yet
        run(chat.post(cid, "counsellor", "hi", "s-0", actor=ana))
    run(chat.accept(cid, ana))
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "counsellor", "hi", "s-1", actor=ben))
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "counsellor", "a note", "s-2", actor=ben, kind="note"))
    assert run(chat.post(cid, "counsellor", "a note", "s-3", actor=boss, kind="note")).seq
    with pytest.raises(ValueError):
        run(chat.post(cid, "system", "hi", "s-4"))
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "child", "   ", "m-1"))
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "child", "x" * (chat.MAX_BODY + 1), "m-2"))
    with pytest.raises(chat.ChatError):
        run(chat.post(10**9, "child", "anyone there?", "m-3"))


# --- queue -----------------------------------------------------------------------------------

def test_queue_position_urgent_first_then_oldest(backend):
    clear_queue()
    before = run(chat.queue_version())
    _, a = new_chat("one")
    _, b = new_chat("two")
    _, c = new_chat("three")
    assert [run(chat.queue_position(x)) for x in (a, b, c)] == [1, 2, 3]
    assert run(chat.queue_version()) == before + 3
    posted = run(chat.post(c, "child", "Dua te vras veten", "m-risk"))
    assert posted.risky and posted.became_urgent
    assert [run(chat.queue_position(x)) for x in (c, a, b)] == [1, 2, 3]
    assert [r["id"] for r in run(chat.waiting())] == [c, a, b]
    assert run(chat.waiting())[0]["urgent"] is True
    run(chat.accept(a, staff("Ana")))
    assert run(chat.queue_position(a)) is None
    assert [run(chat.queue_position(x)) for x in (c, b)] == [1, 2]
    assert run(chat.queue_version()) == before + 5
    run(chat.end(b, "child"))
    assert run(chat.queue_position(b)) is None
    assert [r["id"] for r in run(chat.waiting())] == [c]


async def _accepted_at(created: datetime, waited: timedelta) -> None:
    await Conversation(token_hash=uuid.uuid4().hex, status="ended", created_at=created,
                       accepted_at=created + waited, ended_at=created + waited).save()


def test_wait_estimate_is_the_median_of_recent_accepts(backend):
    base = datetime(2031, 3, 2, 10, 0, tzinfo=UTC)  # a quiet future stretch: no other data
    assert run(chat.wait_estimate(base)) is None
    waits = [30, 60, 90, 600, 45]
    for i, seconds in enumerate(waits):
        run(_accepted_at(base + timedelta(minutes=i), timedelta(seconds=seconds)))
    assert run(chat.wait_estimate(base + timedelta(hours=1))) == timedelta(seconds=60)
    # only the last 20 accepts count: 20 quick ones push the slow ones out
    for i in range(20):
        run(_accepted_at(base + timedelta(hours=2, minutes=i), timedelta(seconds=10)))
    assert run(chat.wait_estimate(base + timedelta(hours=3))) == timedelta(seconds=10)
    # and a week later there is no recent history at all
    assert run(chat.wait_estimate(base + timedelta(days=8))) is None


# --- accepting, ending, handing over ---------------------------------------------------------

def test_concurrent_accept_has_exactly_one_winner(backend):
    ana, ben = staff("Ana"), staff("Ben")
    _, cid = new_chat("help")

    async def both():
        return await asyncio.gather(chat.accept(cid, ana), chat.accept(cid, ben),
                                    return_exceptions=True)

    results = run(both())
    wins = [r for r in results if isinstance(r, int)]
    losses = [r for r in results if isinstance(r, chat.AlreadyAccepted)]
    assert len(wins) == 1 and len(losses) == 1, results
    found = run(chat.details(cid))
    winner = ana if found.counsellor_id == ana.id else ben
    assert found.status == "active" and found.accepted_at is not None
    assert losses[0].holder == winner.display_name
    assert audit_count("chat.accept", cid) == 1
    system = [x for x in lines(cid, for_child=True) if x.author == "system"]
    assert [x.body for x in system] == [chat.ACCEPTED]
    assert run(chat.accept(cid, winner)) == wins[0]  # a double click changes nothing
    assert [r["id"] for r in run(chat.mine(winner.id))] == [cid]


def test_end(backend):
    ana, ben = staff("Ana"), staff("Ben")
    _, cid = new_chat("hi")
    run(chat.accept(cid, ana))
    with pytest.raises(chat.ChatError):
        run(chat.end(cid, "counsellor", ben))
    seq = run(chat.end(cid, "counsellor", ana))
    assert seq == run(chat.latest_seq(cid))
    assert lines(cid, for_child=True)[-1].body == chat.ENDED
    found = run(chat.details(cid))
    assert (found.status, found.ended_by) == ("ended", "counsellor") and found.ended_at
    assert audit_count("chat.end", cid) == 1
    assert run(chat.end(cid, "child")) is None  # already ended: nothing new
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "child", "are you there?", "m-9"))
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "counsellor", "bye", "s-9", actor=ana))
    assert run(chat.post(cid, "counsellor", "wrap-up", "s-10", actor=ana, kind="note")).seq
    with pytest.raises(chat.ChatError):
        run(chat.accept(cid, ben))
    _, waiting_id = new_chat("x")
    run(chat.end(waiting_id, "child"))
    assert run(chat.details(waiting_id)).ended_by == "child"


def test_transfer_rules(backend):
    ana, ben = staff("Ana"), staff("Ben")
    gone = staff("Gone", active=False)
    _, cid = new_chat("hi")
    with pytest.raises(chat.ChatError):  # not active yet
        run(chat.transfer(cid, ana, ben.id, ""))
    run(chat.accept(cid, ana))
    with pytest.raises(chat.ChatError):  # only the counsellor in the chat
        run(chat.transfer(cid, ben, ben.id, ""))
    with pytest.raises(chat.ChatError):
        run(chat.transfer(cid, ana, ana.id, ""))
    with pytest.raises(chat.ChatError):
        run(chat.transfer(cid, ana, gone.id, ""))
    with pytest.raises(chat.ChatError):
        run(chat.transfer(cid, ana, 10**9, ""))
    seq = run(chat.transfer(cid, ana, ben.id, "Worried about her brother; be gentle"))
    assert run(chat.details(cid)).counsellor_id == ben.id
    child = lines(cid, for_child=True)
    assert child[-1].seq == seq and (child[-1].kind, child[-1].body) == \
        ("transfer", chat.TRANSFERRED)
    assert not any("brother" in x.body for x in child)
    staff_view = lines(cid, for_child=False)
    assert [x.kind for x in staff_view[-2:]] == ["note", "transfer"]
    assert staff_view[-2].actor_name == "Ana"
    assert audit_count("chat.transfer", cid) == 1
    with pytest.raises(chat.ChatError):
        run(chat.post(cid, "counsellor", "still me", "s-1", actor=ana))
    assert run(chat.post(cid, "counsellor", "Hi, I am Ben", "s-2", actor=ben)).seq == seq + 1


def test_link_to_report(backend):
    ana, ben, boss = staff("Ana"), staff("Ben"), staff("Sup", role="supervisor")
    report_id = run(_report())
    _, cid = new_chat("hi")
    run(chat.accept(cid, ana))
    with pytest.raises(chat.ChatError):
        run(chat.link_to_report(cid, report_id, ben))
    with pytest.raises(chat.ChatError):
        run(chat.link_to_report(cid, 10**9, ana))
    run(chat.link_to_report(cid, report_id, ana))
    assert run(chat.details(cid)).report_id == report_id
    assert [r["id"] for r in run(chat.for_report(report_id))] == [cid]
    assert audit_count("chat.link", cid) == 1
    other = run(_report())
    run(chat.link_to_report(cid, other, boss))  # a supervisor may re-link
    assert run(chat.details(cid)).report_id == other


# --- risk phrases ----------------------------------------------------------------------------

RISKY = [
    "dua të vras veten", "Dua te vras veten", "DO TA VRAS VETEN!!", "do ta vras veten sonte",
    "nuk dua të jetoj më", "Nuk dua te jetoj", "s’dua të jetoj", "më godet tani", "Me godet tani",
    "babai është këtu tani", "eshte ketu tani, me ndihmoni", "I want to kill myself",
    "i just WANT TO DIE", "I hurt myself again", "I don't want to live", "I dont want to live",
    "He is here now", "she is here now.", "he's here now", "thinking about suicide",
]
SAFE = [
    "Përshëndetje, kam një pyetje", "Më ngacmojnë në shkollë", "më ndihmoni me detyrat",
    "I have a question about my rights", "my skill myself is low", "we killed it at the match",
    "he was here yesterday", "", "   ",
]


@pytest.mark.parametrize("text", RISKY)
def test_risk_phrases_match(text):
    assert chat.risk_level(text)


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_words_do_not_match(text):
    assert not chat.risk_level(text)


def test_a_risky_first_message_or_post_makes_the_chat_urgent(backend):
    token, cid = new_chat("nuk dua te jetoj")
    assert run(chat.conversation_for(token)).urgent
    _, calm = new_chat("hello")
    quiet = run(chat.post(calm, "child", "just a question", "m-2"))
    assert not quiet.risky and not run(chat.details(calm)).urgent
    alarm = run(chat.post(calm, "child", "He is here now", "m-3"))
    assert alarm.risky and alarm.became_urgent and run(chat.details(calm)).urgent
    again = run(chat.post(calm, "child", "më godet tani", "m-4"))
    assert again.risky and not again.became_urgent


# --- opening hours (helpline.toml: 08:00–22:00 Europe/Tirane) --------------------------------

TIRANE = ZoneInfo("Europe/Tirane")


@pytest.mark.parametrize("utc, expected", [
    (datetime(2026, 11, 28, 7, 0, tzinfo=UTC), True),  # 08:00 local (UTC+1): opens
    (datetime(2026, 11, 28, 6, 59, tzinfo=UTC), False),
    (datetime(2026, 11, 28, 20, 59, tzinfo=UTC), True),
    (datetime(2026, 11, 28, 21, 0, tzinfo=UTC), False),  # 22:00 local: closed
    (datetime(2026, 7, 1, 6, 0, tzinfo=UTC), True),  # summer time, UTC+2: 08:00 local
    (datetime(2026, 7, 1, 5, 59, tzinfo=UTC), False),
])
def test_is_open(utc, expected):
    assert chat.is_open(utc) is expected


def test_next_opening():
    early = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 06:00 local
    assert chat.next_opening(early) == datetime(2026, 11, 28, 8, 0, tzinfo=TIRANE)
    late = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 23:30 local
    opening = chat.next_opening(late)
    assert opening == datetime(2026, 11, 29, 8, 0, tzinfo=TIRANE)
    assert opening.astimezone(UTC) == datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    assert chat.is_open(opening)
    after_midnight = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th, local
    assert chat.next_opening(after_midnight) == datetime(2026, 11, 29, 8, 0, tzinfo=TIRANE)
    during = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert chat.next_opening(during) == during


def test_hours_other_profiles(monkeypatch):
    hours = get_settings().profile.chat
    monkeypatch.setitem(hours, "opens", "00:00")
    monkeypatch.setitem(hours, "closes", "24:00")
    assert chat.is_open(datetime(2026, 11, 28, 23, 59, tzinfo=TIRANE))
    assert chat.is_open(datetime(2026, 11, 28, 0, 0, tzinfo=TIRANE))
    monkeypatch.setitem(hours, "opens", "20:00")
    monkeypatch.setitem(hours, "closes", "02:00")  # past midnight: not supported, said loudly
    with pytest.raises(ValueError, match="same day"):
        chat.is_open(datetime(2026, 11, 28, 21, 0, tzinfo=TIRANE))


# --- live: latest ids and channels -----------------------------------------------------------

def test_latest_ids_are_monotonic():
    latest = live.LatestIds()
    assert latest.get(1) is None
    latest.set(1, 5)
    latest.bump(1, 7)
    latest.bump(1, 3)  # an old, late notification
    latest.set(1, 6)  # a database read that a bump overtook
    assert latest.get(1) == 7
    latest.bump(2, 1)  # a conversation this worker has not read yet
    assert latest.get(2) == 1
    latest.forget(1)
    assert latest.get(1) is None


def test_latest_ids_are_bounded_and_age():
    clock = [0.0]
    latest = live.LatestIds(max_entries=3, max_age=60, clock=lambda: clock[0])
    for cid in range(1, 5):
        latest.set(cid, cid)
    assert latest.get(1) is None and len(latest) == 3  # least recently used dropped
    clock[0] = 59
    assert latest.get(4) == 4
    latest.bump(4, 4)  # a notification refreshes it
    clock[0] = 100
    assert latest.get(2) is None  # too old: read the database again
    assert latest.get(4) == 4


def test_payloads():
    assert live.encode(12, 345) == b"12:345"
    assert live.decode(b"12:345") == (12, 345)
    for junk in (b"", b"12", b"a:1", b"1:-2", b"1:2:3", "x"):
        assert live.decode(junk) is None


async def _wait_for(latest: live.LatestIds, cid: int, seq: int, limit: float = 2.0) -> float:
    started = time.perf_counter()
    while latest.get(cid) != seq:
        if time.perf_counter() - started > limit:
            raise AssertionError(f"no bump {cid}:{seq} within {limit}s (have {latest.get(cid)})")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


def test_memory_channels_single_process():
    async def scenario():
        latest = live.LatestIds()
        async with live.channels_plugin("") as channels, live.listening(channels, latest):
            channels.publish(b"not a bump", channels=[live.CHANNEL])
            await live.publish(channels, 41, 3)
            await _wait_for(latest, 41, 3)
            await live.publish(channels, 41, 2)  # late and lower: ignored
            await live.publish(channels, live.QUEUE, 9)
            await _wait_for(latest, live.QUEUE, 9)
            assert latest.get(41) == 3

    run(scenario())


def test_asyncpg_channels_two_workers(postgres_backend):
    """Two ChannelsPlugin instances ("workers") on one PostgreSQL: A publishes, B learns."""
    dsn = Conversation._meta.db.config["dsn"]
    assert type(live.channels_plugin(dsn)._backend).__name__ == "AsyncPgChannelsBackend"

    async def scenario():
        latest_a, latest_b = live.LatestIds(), live.LatestIds()
        async with live.channels_plugin(dsn) as worker_a, live.channels_plugin(dsn) as worker_b:
            async with live.listening(worker_a, latest_a), live.listening(worker_b, latest_b):
                delays = []
                for seq in (1, 2, 3):
                    started = time.perf_counter()  # publish (connect + NOTIFY) to bump seen
                    await live.publish(worker_a, 7, seq)
                    await _wait_for(latest_b, 7, seq)
                    delays.append(time.perf_counter() - started)
                await live.publish(worker_b, 7, 4)  # and back the other way
                await _wait_for(latest_a, 7, 4)
                await live.publish(worker_a, 7, 1)
                await live.publish(worker_a, 8, 1)
                await _wait_for(latest_b, 8, 1)
                assert latest_b.get(7) == 4  # the late, lower seq did not win
                return delays

    delays = run(scenario())
    assert max(delays) < 2.0
    print(f"asyncpg bump seen by the other worker after {[round(d * 1000, 1) for d in delays]} ms")


def test_a_post_end_to_end_through_two_workers(postgres_backend):
    """Commit, bump locally, publish: the other worker's idle poll sees the new seq, no DB read."""
    dsn = Conversation._meta.db.config["dsn"]
    _, cid = new_chat("hello")

    async def scenario():
        latest_a, latest_b = live.LatestIds(), live.LatestIds()
        latest_b.set(cid, await chat.latest_seq(cid))  # B's poller read the DB once
        async with live.channels_plugin(dsn) as worker_a, live.channels_plugin(dsn) as worker_b:
            async with live.listening(worker_b, latest_b):
                posted = await chat.post(cid, "child", "are you there?", "m-2")
                latest_a.bump(cid, posted.seq)
                await live.publish(worker_a, cid, posted.seq)
                await _wait_for(latest_b, cid, posted.seq)
                return posted.seq

    assert run(scenario()) == 2
