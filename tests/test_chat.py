"""Live chat over HTTP, as browsers with and without JavaScript see it (SQLite and PostgreSQL).

One test client plays both sides: the child's cookies (rp_chat) and the counsellor's session
(rp_staff) never meet, so they share a cookie jar without stepping on each other.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.tables import ChatMessage, Conversation, Report
from services import accounts, chat
from tests.journey import HX, csrf
from tests.staff_helpers import (act_as, call, create_account, english, manual, other_browser,
                                 page_token, team, text_of)

HTMX = {**HX, "HX-Current-URL": "http://testserver.local/chat"}


async def _await(query):
    return await query


def db(query):
    """Run a Piccolo query from the test (outside the app's pool)."""
    return call(_await, query)


@pytest.fixture(autouse=True)
def open_hours(monkeypatch):
    monkeypatch.setattr(chat, "is_open", lambda moment: True)


@pytest.fixture(autouse=True)
def empty_queue(backend):
    """Each test starts with no chat waiting (positions and the inbox list depend on it)."""
    async def close_all():
        await Conversation.update({Conversation.status: "ended"}).where(
            Conversation.status != "ended")
    call(close_all)


def start_chat(client, message: str = "", topic: str = "", headers=None):
    english(client)
    token = csrf(client.get("/chat").text)
    response = client.post("/chat/start", data={"_csrf_token": token, "topic": topic,
                                                "message": message, "client_id": "first-1"},
                           headers=headers or {}, follow_redirects=False)
    return token, response


def conversation_id(client) -> int:
    return call(chat.conversation_id_for, client.cookies.get("rp_chat"))


def accept(client, backend: str, member="counsellor"):
    person = team(backend)[member]
    act_as(client, backend, person)
    cid = conversation_id(client)
    token = page_token(client, "/staff/inbox")
    response = client.post(f"/staff/chat/{cid}/accept", data={"_csrf_token": token},
                           follow_redirects=False)
    return cid, token, response


def cursor(html: str) -> dict:
    return dict(re.findall(r'name="(after|st|q|pos)" value="([^"]*)"', html))


# --- closed hours, starting ------------------------------------------------------------------

def test_closed_helpline_says_when_it_opens_and_offers_report_and_phone(client, monkeypatch):
    monkeypatch.setattr(chat, "is_open", lambda moment: False)
    zone = ZoneInfo("Europe/Tirane")
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    monkeypatch.setattr(chat, "next_opening", lambda moment: datetime.combine(
        tomorrow, time(8, 0), tzinfo=zone))
    english(client)
    page = client.get("/chat")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Chat is closed now" in text
    assert "every day from 08:00 to 22:00" in text
    assert "Chat opens again tomorrow at 08:00." in text
    assert 'href="/report"' in page.text and 'href="tel:116111"' in page.text
    assert 'action="/chat/start"' not in page.text
    token = csrf(client.get("/report").text)
    response = client.post("/chat/start", data={"_csrf_token": token, "message": "hi"},
                           follow_redirects=False)
    assert response.status_code == 200 and "Chat is closed now" in response.text
    assert "rp_chat" not in response.headers.get("set-cookie", "")


def test_start_page_and_links_from_home_and_receipt(client):
    english(client)
    assert 'href="/chat"' in client.get("/").text
    page = client.get("/chat")
    assert "Talk to a counsellor now" in page.text
    assert 'name="topic"' in page.text and 'name="message"' in page.text
    assert page.headers["cache-control"].startswith("no-store")


def test_waiting_room_has_the_log_before_any_message(client):
    _, response = start_chat(client)
    assert response.status_code == 303 and response.headers["location"] == "/chat"
    set_cookie = response.headers["set-cookie"].lower()
    assert "rp_chat=" in set_cookie and "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert "max-age" not in set_cookie  # gone when the browser closes
    page = client.get("/chat")
    assert "Waiting for a counsellor" in page.text
    assert re.search(r'<div role="log" aria-labelledby="log-title"><ol id="log" class="log">'
                     r'\s*</ol></div>', page.text)
    assert "You are next in the queue." in page.text
    assert ("We cannot say yet how long it will take" in page.text  # no chat accepted lately
            or "Lately a counsellor has answered in" in page.text)
    assert '<meta http-equiv="refresh" content="20">' in page.text  # inside <noscript>
    token = client.cookies.get("rp_chat")
    assert db(Conversation.count().where(Conversation.token_hash == token)) == 0  # hash only


def test_queue_position_counts_the_chats_ahead(client):
    with other_browser() as earlier:
        start_chat(earlier)
    start_chat(client)
    assert "You are number 2 in the queue." in client.get("/chat").text


def test_start_rejects_a_too_long_message_and_keeps_it(client):
    english(client)
    token = csrf(client.get("/chat").text)
    long = "a" * 2001
    response = client.post("/chat/start", data={"_csrf_token": token, "message": long})
    assert response.status_code == 422
    assert "Write 2,000 characters or fewer" in response.text and long in response.text


# --- polling ---------------------------------------------------------------------------------

class QueryCounter:
    """Counts the SQL statements the engine runs (the test client shares this process)."""

    def __init__(self, monkeypatch):
        self.count = 0
        engine_class = type(Report._meta.db)
        original = engine_class.run_querystring

        async def counted(engine, *args, **kwargs):
            self.count += 1
            return await original(engine, *args, **kwargs)

        monkeypatch.setattr(engine_class, "run_querystring", counted)


def test_idle_poll_is_204_with_no_body_and_no_query(client, monkeypatch):
    start_chat(client, "hello")
    page = client.get("/chat").text
    where = cursor(page)
    assert where["after"] == "1" and where["st"] == "waiting"
    url = "/chat/messages?" + "&".join(f"{k}={v}" for k, v in where.items())
    assert client.get(url, headers=HTMX).status_code == 204  # warms this worker's memory
    counter = QueryCounter(monkeypatch)
    for _ in range(5):
        response = client.get(url, headers=HTMX)
        assert response.status_code == 204 and response.content == b""
    assert counter.count == 0
    client.get("/chat")  # the counter itself works: a page does query
    assert counter.count > 0


def test_poll_returns_only_the_new_lines(client, backend):
    start_chat(client, "hello")
    cid, _, _ = accept(client, backend)
    response = client.get("/chat/messages?after=1&st=waiting", headers=HTMX)
    assert response.status_code == 200
    assert 'id="m1"' not in response.text and 'id="m2"' in response.text
    assert "A counsellor has joined the chat." in response.text
    assert 'hx-swap-oob="beforeend:#log"' in response.text
    assert 'name="after" value="2"' in response.text
    assert "Chat with a counsellor" in response.text  # the state changed: new heading
    assert "Rather not wait?" not in response.text
    assert len(response.content) < 2048


def test_a_moved_queue_is_announced_once(client, backend):
    with other_browser() as earlier:
        start_chat(earlier)
        start_chat(client)
        where = cursor(client.get("/chat").text)
        assert where["pos"] == "2"
        act_as(earlier, backend, team(backend)["counsellor"])
        cid = call(chat.conversation_id_for, earlier.cookies.get("rp_chat"))
        earlier.post(f"/staff/chat/{cid}/accept",
                     data={"_csrf_token": page_token(earlier, "/staff/inbox")})
    url = "/chat/messages?" + "&".join(f"{k}={v}" for k, v in where.items())
    moved = client.get(url, headers=HTMX)
    assert moved.status_code == 200
    assert 'hx-swap-oob="innerHTML:#status">You are next in the queue.' in moved.text
    where = cursor(moved.text)
    url = "/chat/messages?" + "&".join(f"{k}={v}" for k, v in where.items())
    assert client.get(url, headers=HTMX).status_code == 204


# --- a whole conversation --------------------------------------------------------------------

def test_a_conversation_without_javascript(client, backend):
    token, _ = start_chat(client, "Someone at school hits me")
    cid, staff_token, response = accept(client, backend)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/chats")
    mine = client.get("/staff/chats")
    assert "Someone at school hits me" in mine.text and f'id="log-{cid}"' in mine.text
    reply = client.post(f"/staff/chat/{cid}/send", data={
        "_csrf_token": staff_token, "message": "I am here. Tell me more.", "client_id": "s-1"},
        follow_redirects=False)
    assert reply.status_code == 303
    page = client.get("/chat")
    assert "A counsellor has joined the chat." in page.text
    assert "I am here. Tell me more." in page.text
    assert "Anna" not in page.text and team(backend)["counsellor"].display_name not in page.text
    sent = client.post("/chat/send", data={"_csrf_token": token, "message": "Every day",
                                           "client_id": "c-2"}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/chat"
    assert "Every day" in client.get(f"/staff/chat/{cid}").text
    ended = client.post("/chat/end", data={"_csrf_token": token}, follow_redirects=False)
    assert ended.status_code == 303
    page = client.get("/chat")
    assert "The chat has ended" in page.text and 'action="/chat/send"' not in page.text
    assert "Start a new chat" in page.text
    staff_view = client.get(f"/staff/chat/{cid}")
    assert "The child ended the chat." in staff_view.text


def test_a_conversation_with_htmx_and_polling_stops_at_the_end(client, backend):
    token, response = start_chat(client, headers=HTMX)
    assert response.status_code == 200 and 'id="chat"' in response.text
    cid, staff_token, _ = accept(client, backend)
    reply = client.post(f"/staff/chat/{cid}/send", headers=HX, data={
        "_csrf_token": staff_token, "message": "Hello", "client_id": "s-1", "after": "1",
        "st": "active"})
    assert reply.status_code == 200 and "Hello" in reply.text
    assert f'hx-swap-oob="beforeend:#log-{cid}"' in reply.text
    sent = client.post("/chat/send", headers=HTMX, data={
        "_csrf_token": token, "message": "hi", "client_id": "c-9", "after": "2", "st": "active"})
    assert sent.status_code == 200
    assert 'id="m3"' in sent.text and "hi" in sent.text and 'name="after" value="3"' in sent.text
    ended = client.post(f"/staff/chat/{cid}/end", headers=HX, data={"_csrf_token": staff_token})
    assert ended.status_code == 200 and "The chat has ended." in ended.text
    last = client.get("/chat/messages?after=3&st=active", headers=HTMX)
    assert last.status_code == 286  # htmx stops polling
    assert "The chat has ended." in last.text and "Start a new chat" in last.text
    staff_poll = client.get(f"/staff/chat/{cid}/messages?after=3&st=active", headers=HX)
    assert staff_poll.status_code == 286


def test_a_retried_send_is_stored_once(client, backend):
    token, _ = start_chat(client)
    for _ in range(3):
        response = client.post("/chat/send", headers=HTMX, data={
            "_csrf_token": token, "message": "only once", "client_id": "same-id", "after": "0",
            "st": "waiting"})
        assert response.status_code == 200
    cid = conversation_id(client)
    assert db(ChatMessage.count().where((ChatMessage.conversation == cid)
                                          & (ChatMessage.body == "only once"))) == 1


def test_an_empty_or_too_long_message_is_a_clear_error(client):
    token, _ = start_chat(client)
    empty = client.post("/chat/send", headers=HTMX, data={"_csrf_token": token, "message": " "})
    assert empty.status_code == 422
    assert empty.headers["hx-retarget"] == "#chat" and "Write a message first" in empty.text
    long = "b" * 2001
    too_long = client.post("/chat/send", data={"_csrf_token": token, "message": long})
    assert too_long.status_code == 422 and long in too_long.text


def test_risk_phrases_show_the_emergency_card_and_raise_urgency(client, backend):
    token, _ = start_chat(client, "hello")
    response = client.post("/chat/send", headers=HTMX, data={
        "_csrf_token": token, "message": "He is here now and I'm scared", "client_id": "r-1",
        "after": "1", "st": "waiting"})
    assert 'id="chat-alert" hx-swap-oob="true"' in response.text and 'href="tel:112"' in response.text
    cid = conversation_id(client)
    assert db(Conversation.select(Conversation.urgent).where(Conversation.id == cid).first())[
        "urgent"]
    assert 'href="tel:112"' in client.get("/chat").text  # and without JS, on the page
    act_as(client, backend, team(backend)["counsellor"])
    inbox = client.get("/staff/inbox").text
    assert re.search(rf'<li class="urgent"><form method="post" action="/staff/chat/{cid}/accept"',
                     inbox)


def test_leave_a_message_instead_becomes_a_report_and_loses_nothing(client, backend):
    token, _ = start_chat(client, "My uncle hurts me", topic="physical")
    client.post("/chat/send", data={"_csrf_token": token, "message": "At night",
                                    "client_id": "c-2"})
    page = client.get("/chat").text
    assert "Rather not wait?" in page
    prefilled = re.search(r'<textarea id="leave"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "My uncle hurts me" in prefilled and "At night" in prefilled
    response = client.post("/chat/leave", data={"_csrf_token": token,
                                                "message": prefilled + "\nPlease help"},
                           follow_redirects=False)
    assert response.status_code == 303
    receipt = client.get("/chat").text
    code = re.search(r'class="code">.*?</span>([\d ]+)</p>', receipt, re.S).group(1)
    assert len(code.replace(" ", "")) == 16
    report_id = db(Report.select(Report.id).where(Report.channel == "chat").order_by(
        Report.id, ascending=False).first())["id"]
    row = db(Report.select().where(Report.id == report_id).first())
    assert "Please help" in row["details"] and row["categories"] == "physical"
    cid = conversation_id(client)
    assert db(Conversation.select(Conversation.status, Conversation.report).where(
        Conversation.id == cid).first()) == {"status": "ended", "report": report_id}
    again = client.post("/chat/leave", data={"_csrf_token": token, "message": "x"},
                        follow_redirects=False)  # a double submit: still one report
    assert again.status_code == 303
    assert db(Report.count().where(Report.channel == "chat")) >= 1
    assert code in client.get("/chat").text


def test_leave_requires_text(client):
    token, _ = start_chat(client)
    response = client.post("/chat/leave", data={"_csrf_token": token, "message": ""})
    assert response.status_code == 422 and "Write what you want to tell us" in response.text


def test_quick_exit_forgets_the_chat_and_ends_it(client):
    start_chat(client, "hello")
    cid = conversation_id(client)
    response = client.get("/exit", follow_redirects=False)
    assert "rp_chat=" in response.headers.get("set-cookie", "")
    assert db(Conversation.select(Conversation.status).where(Conversation.id == cid).first())[
        "status"] == "ended"
    assert "Talk to a counsellor now" in client.get("/chat").text


# --- the counsellor's side --------------------------------------------------------------------

def test_concurrent_accept_over_http_has_one_winner(client, backend):
    start_chat(client)
    cid = conversation_id(client)
    people = [team(backend)["counsellor"], team(backend)["counsellor2"]]
    with other_browser() as first, other_browser() as second:
        browsers = [first, second]
        tokens = []
        for browser, person in zip(browsers, people, strict=True):
            act_as(browser, backend, person)
            tokens.append(page_token(browser, "/staff/inbox"))
        results = []

        def take(i):
            results.append(browsers[i].post(f"/staff/chat/{cid}/accept",
                                            data={"_csrf_token": tokens[i]}).status_code)

        threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(results) == [303, 409]
    assert db(ChatMessage.count().where((ChatMessage.conversation == cid)
                                          & (ChatMessage.body == chat.ACCEPTED))) == 1


def test_notes_canned_case_and_transfer(client, backend):
    start_chat(client, "I need help with school")
    cid, staff_token, _ = accept(client, backend)
    manual(client)
    note = client.post(f"/staff/chat/{cid}/note", data={"_csrf_token": staff_token,
                                                        "note": "Sounds like bullying"})
    assert note.status_code == 303
    assert "Sounds like bullying" not in client.get("/chat").text  # never to the child
    assert "Internal note by" in client.get(f"/staff/chat/{cid}").text
    bad = client.post(f"/staff/chat/{cid}/link", data={"_csrf_token": staff_token,
                                                       "reference": "R-NOPE00"})
    assert bad.status_code == 422 and "No case has this reference" in bad.text
    case = client.post(f"/staff/chat/{cid}/case", data={"_csrf_token": staff_token})
    assert case.status_code == 303
    report_id = db(Conversation.select(Conversation.report).where(
        Conversation.id == cid).first())["report"]
    case_page = client.get(f"/staff/case/{report_id}").text
    assert "I need help with school" in case_page and "Sounds like bullying" in case_page
    # a hand-over needs a colleague online
    colleague = team(backend)["counsellor2"]
    act_as(client, backend, colleague)
    act_as(client, backend, team(backend)["counsellor"])
    staff_token = page_token(client, "/staff/chats")
    wrong = client.post(f"/staff/chat/{cid}/transfer", data={"_csrf_token": staff_token,
                                                             "account": "999999"})
    assert wrong.status_code == 422 and "Choose a counsellor who is online" in wrong.text
    moved = client.post(f"/staff/chat/{cid}/transfer", data={
        "_csrf_token": staff_token, "account": str(colleague.id), "handover": "Be gentle"})
    assert moved.status_code == 303
    child_page = client.get("/chat").text
    assert "Another counsellor is with you now" in child_page and "Be gentle" not in child_page
    act_as(client, backend, colleague)
    theirs = client.get("/staff/chats").text
    assert "Be gentle" in theirs and "I need help with school" in theirs
    assert f'id="composer-{cid}"' in theirs


def test_staff_cannot_see_someone_elses_chat(client, backend):
    start_chat(client)
    cid, _, _ = accept(client, backend)
    act_as(client, backend, team(backend)["counsellor2"])
    assert client.get(f"/staff/chat/{cid}").status_code == 404
    token = page_token(client, "/staff/inbox")
    assert client.post(f"/staff/chat/{cid}/send", data={"_csrf_token": token, "message": "x"},
                       follow_redirects=False).status_code == 404
    act_as(client, backend, team(backend)["supervisor"])
    assert client.get(f"/staff/chat/{cid}").status_code == 200


def test_the_child_poll_answers_without_the_app_knowing_the_chat(client):
    english(client)
    client.get("/chat")
    client.cookies.set("rp_chat", "not-a-real-token", domain="testserver.local", path="/")
    response = client.get("/chat/messages?after=0", headers=HTMX)
    assert response.headers.get("hx-refresh") == "true"


def test_the_counsellors_idle_poll_costs_no_query_either(client, backend, monkeypatch):
    start_chat(client, "hello")
    cid, token, _ = accept(client, backend)
    url = f"/staff/chat/{cid}/messages?after=2&st=active"
    assert client.get(url, headers=HX).status_code == 204  # confirms the session, warms memory
    counter = QueryCounter(monkeypatch)
    for _ in range(3):
        response = client.get(url, headers=HX)
        assert response.status_code == 204 and response.content == b""
    assert counter.count == 0


def test_a_reused_session_ends_with_sign_out_and_with_deactivation(backend):
    """The shared team's sessions stay untouched: a fresh account signs in and out here."""
    person = create_account("counsellor")
    boss = team(backend)["admin"]
    admin = accounts.StaffUser(boss.id, boss.username, boss.display_name, boss.role)

    async def scenario():
        token = await accounts.authenticate(person.username, person.password)
        user = await accounts.session_user(token, reuse_for=10)
        assert user is not None and await accounts.session_user(token, reuse_for=10) == user
        await accounts.sign_out(token, user)
        assert await accounts.session_user(token, reuse_for=10) is None
        token = await accounts.authenticate(person.username, person.password)
        assert await accounts.session_user(token, reuse_for=10) is not None
        await accounts.set_active(person.id, False, admin)
        assert await accounts.session_user(token, reuse_for=10) is None

    call(scenario)
