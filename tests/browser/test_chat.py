"""Live chat in a real browser: a child and a counsellor side by side, each in their own context.

The module runs a server of its own whose helpline profile keeps chat open all day (so nothing
depends on the time of day), with one counsellor account seeded into its database. One test
starts another server whose profile has chat closed now. Every page is in English (the rp_lang
cookie), and every wait is an explicit one; the only timed waits are windows in which nothing
may happen: no poll after the chat has ended, no request back to the app while leaving it.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from a11y.axe import format_violations, run_axe
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.wizard import _SETTLED, watch_console
from tests.server import ROOT, run_in_app, running_app

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the `browser` fixture skips (or fails in CI) then
    expect = None

pytestmark = pytest.mark.browser

PASSWORD = "Lule-Mali-Det-2026!"
COUNSELLOR = "drita"
# Across the two sides: the poller starts at 2 s and backs off to 10 s while quiet.
CHAT_WAIT_MS = 15_000
# After the end: how long the child's page is watched for a poll that should not happen.
NO_POLL_WINDOW_MS = 5_000
ZONE = ZoneInfo("Europe/Tirane")

_SEED = r"""
import asyncio, sys
from services import accounts

asyncio.run(accounts.create(sys.argv[1], "Drita Krasniqi", "counsellor", sys.argv[2]))
"""


# --- servers ---------------------------------------------------------------------------------

def profile_with_hours(folder: Path, opens: str, closes: str) -> Path:
    """A copy of helpline.toml whose [chat] table has these opening hours."""
    text = (ROOT / "helpline.toml").read_text(encoding="utf-8")
    text, opened = re.subn(r'(?m)^opens = "[^"]*"$', f'opens = "{opens}"', text)
    text, closed = re.subn(r'(?m)^closes = "[^"]*"$', f'closes = "{closes}"', text)
    assert opened == closed == 1, "helpline.toml's [chat] hours are not where this test expects"
    path = folder / "helpline.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(neutral_url):
    """A server of this module's own, chat open 00:00-24:00, with one counsellor account."""
    folder = Path(tempfile.mkdtemp(prefix="raporto-chat-profile-"))
    profile = profile_with_hours(folder, "00:00", "24:00")
    with running_app(RAPORTO_EXIT_URL=neutral_url, RAPORTO_PROFILE=str(profile)) as running:
        run_in_app(running, _SEED, COUNSELLOR, PASSWORD, RAPORTO_PROFILE=str(profile))
        yield running
    shutil.rmtree(running.data, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def _english_contexts(browser, url: str, made: list):
    def make(js: bool = True, bypass_csp: bool = False):
        context = browser.new_context(base_url=url, java_script_enabled=js, bypass_csp=bypass_csp)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies([{"name": "rp_lang", "value": "en", "url": url}])
        made.append(context)
        return context.new_page()
    return make


@pytest.fixture
def contexts(browser, server):
    """new(js=True, bypass_csp=False) -> a page in a fresh English context, closed after the test.
    `bypass_csp=True` only where axe runs."""
    made: list = []
    yield _english_contexts(browser, server.url, made)
    for context in made:
        context.close()


def db_rows(server, sql: str, *params):
    with sqlite3.connect(server.data / "raporto.sqlite3") as db:
        return db.execute(sql, params).fetchall()


def newest_chat_id(server) -> int:
    return db_rows(server, "SELECT id FROM conversation ORDER BY id DESC LIMIT 1")[0][0]


# --- the child's side ------------------------------------------------------------------------

def settled(page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(_SETTLED)  # htmx done (always true without JavaScript)


def start_chat(page, message: str = "", topic: str = "") -> None:
    """From /chat's start form to the waiting room (htmx swap, or POST -> 303 -> GET)."""
    page.goto("/chat")
    expect(page.locator("h1")).to_have_text("Talk to a counsellor now", timeout=TIMEOUT_MS)
    if topic:
        page.select_option("#topic", topic)
    if message:
        page.fill("#message", message)
    page.get_by_role("button", name="Start the chat").click()
    expect(page.locator("#chat-title")).to_have_text("Waiting for a counsellor",
                                                     timeout=TIMEOUT_MS)
    expect(page.locator("#chat-state")).to_contain_text("in the queue", timeout=TIMEOUT_MS)
    settled(page)


def child_sends(page, text: str) -> None:
    """Type into the composer and press Send (htmx, or a plain form post)."""
    page.fill("#message", text)
    page.locator("#composer").get_by_role("button", name="Send", exact=True).click()


def mark_document(page) -> None:
    """A flag on the window: still there later means the page was never reloaded."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


# --- the counsellor's side -------------------------------------------------------------------

def sign_in(page) -> None:
    page.goto("/staff/login")
    page.fill("#username", COUNSELLOR)
    page.fill("#password", PASSWORD)
    page.locator('form[action="/staff/login"] button').click()
    page.wait_for_url("**/staff/inbox")
    settled(page)


def accept(page, cid: int) -> None:
    """From the inbox's "Chats waiting" to /staff/chats, where this chat has its panel."""
    page.goto("/staff/inbox")
    expect(page.get_by_role("heading", name="Chats waiting")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("button", name=f"Accept chat C-{cid}", exact=True).click()
    page.wait_for_url(re.compile(r"/staff/chats(#chat-\d+)?$"))
    expect(page.locator(f"section#chat-{cid} [role=log] > ol#log-{cid}")).to_be_attached(
        timeout=TIMEOUT_MS)
    settled(page)


def staff_sends(page, cid: int, text: str) -> None:
    page.fill(f"#message-{cid}", text)
    page.locator(f"#composer-{cid}").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(f"#log-{cid}")).to_contain_text(text, timeout=TIMEOUT_MS)


def staff_ends(page, cid: int) -> None:
    panel = page.locator(f"section#chat-{cid}")
    panel.locator("details.chat-actions summary").click()  # "Note, case, hand-over, end"
    panel.get_by_role("button", name="End the chat", exact=True).click()
    expect(page.locator(f"section#chat-{cid}")).to_contain_text("The chat has ended.",
                                                                timeout=TIMEOUT_MS)
    settled(page)


# --- 1. both sides with JavaScript -----------------------------------------------------------

def test_a_live_chat_with_javascript_on_both_sides(contexts, server):
    marker = uuid.uuid4().hex[:8]
    first, reply, answer = (f"Someone hits me at school {marker}", f"I am here. Tell me more {marker}",
                            f"Every day after class {marker}")

    child = contexts(js=True)  # the real CSP
    child_console = watch_console(child)
    start_chat(child, first, topic="physical")
    expect(child.locator("#log")).to_contain_text(first, timeout=TIMEOUT_MS)
    expect(child.get_by_role("heading", name="Rather not wait?")).to_be_visible()
    cid = newest_chat_id(server)
    mark_document(child)

    staff = contexts(js=True)
    staff_console = watch_console(staff)
    sign_in(staff)
    accept(staff, cid)
    expect(staff.locator(f"#log-{cid}")).to_contain_text(first, timeout=TIMEOUT_MS)
    staff_sends(staff, cid, reply)
    expect(staff.locator(f"#send-state-{cid}")).to_have_text("Sent.", timeout=TIMEOUT_MS)
    mark_document(staff)

    # The child's poller brings the counsellor in and the reply, without a reload.
    log = child.locator("#log")
    expect(log).to_contain_text("A counsellor has joined the chat.", timeout=CHAT_WAIT_MS)
    expect(log).to_contain_text(reply, timeout=CHAT_WAIT_MS)
    expect(child.locator("#chat-title")).to_have_text("Chat with a counsellor", timeout=TIMEOUT_MS)
    expect(child.get_by_role("heading", name="Rather not wait?")).to_have_count(0)
    assert "Drita" not in log.inner_text()  # the child sees "Counsellor", never a name
    assert same_document(child), "the child's page was reloaded"

    # The child answers; the counsellor's poller brings it in, without a reload.
    child_sends(child, answer)
    expect(child.locator("#send-state")).to_have_text("Sent.", timeout=TIMEOUT_MS)
    expect(child.locator("#message")).to_have_value("", timeout=TIMEOUT_MS)
    expect(log.locator("li", has_text=answer)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(staff.locator(f"#log-{cid}")).to_contain_text(answer, timeout=CHAT_WAIT_MS)
    assert same_document(staff), "the counsellor's page was reloaded"
    assert same_document(child), "the child's page was reloaded"

    # The counsellor ends the chat: the child sees it, the composer goes, and polling stops.
    staff_ends(staff, cid)
    expect(log).to_contain_text("The chat has ended.", timeout=CHAT_WAIT_MS)
    expect(child.locator("#composer")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(child.get_by_role("button", name="Start a new chat")).to_be_visible(timeout=TIMEOUT_MS)
    expect(child.locator("#chat-title")).to_have_text("The chat has ended", timeout=TIMEOUT_MS)
    assert same_document(child), "the child's page was reloaded"
    polls: list[str] = []
    child.on("request", lambda request: polls.append(request.url)
             if "/chat/messages" in request.url else None)
    child.wait_for_timeout(NO_POLL_WINDOW_MS)  # the one timed wait: nothing may happen in it
    assert polls == [], f"the child's page kept polling after the end: {polls}"

    assert not child_console.problems(), child_console.problems()
    assert not staff_console.problems(), staff_console.problems()


# --- 2. the child without JavaScript ---------------------------------------------------------

def test_a_live_chat_with_the_child_without_javascript(contexts, server):
    marker = uuid.uuid4().hex[:8]
    first, reply, answer = (f"Nobody listens at home {marker}", f"I am listening {marker}",
                            f"Thank you for answering {marker}")

    child = contexts(js=False)
    start_chat(child, first)
    expect(child.locator("#log")).to_contain_text(first, timeout=TIMEOUT_MS)
    # Without JavaScript the page refreshes itself every 20 s, and says how to check now.
    assert child.locator('meta[http-equiv="refresh"][content="20"]').count() == 1
    expect(child.get_by_role("link", name="Check for new messages")).to_be_visible()
    cid = newest_chat_id(server)

    staff = contexts(js=True)
    sign_in(staff)
    accept(staff, cid)
    expect(staff.locator(f"#log-{cid}")).to_contain_text(first, timeout=TIMEOUT_MS)
    staff_sends(staff, cid, reply)

    child.get_by_role("link", name="Check for new messages").click()
    child.wait_for_load_state("load")
    expect(child.locator("#log")).to_contain_text("A counsellor has joined the chat.",
                                                  timeout=TIMEOUT_MS)
    expect(child.locator("#log")).to_contain_text(reply, timeout=TIMEOUT_MS)
    expect(child.locator("#chat-title")).to_have_text("Chat with a counsellor", timeout=TIMEOUT_MS)

    # "Pause that while I write": no refresh can take the words away while typing.
    child.get_by_role("link", name="Pause that while I write").click()
    child.wait_for_url(re.compile(r"/chat\?write=1#message$"))
    assert child.locator('meta[http-equiv="refresh"]').count() == 0
    child_sends(child, answer)  # a plain form: POST /chat/send -> 303 -> GET /chat
    child.wait_for_url(re.compile(r"/chat$"))
    expect(child.locator("#log li", has_text=answer)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(child.locator("#message")).to_have_value("", timeout=TIMEOUT_MS)

    # The counsellor's page polls: the answer arrives there without a reload.
    mark_document(staff)
    expect(staff.locator(f"#log-{cid}")).to_contain_text(answer, timeout=CHAT_WAIT_MS)
    assert same_document(staff), "the counsellor's page was reloaded"

    # The child ends the chat with the plain form; the counsellor's panel says so.
    child.get_by_role("button", name="End the chat", exact=True).click()
    expect(child.locator("h1")).to_have_text("The chat has ended", timeout=TIMEOUT_MS)
    expect(child.locator("#composer")).to_have_count(0)
    assert child.locator('meta[http-equiv="refresh"]').count() == 0
    expect(staff.locator(f"#log-{cid}")).to_contain_text("The child ended the chat.",
                                                         timeout=CHAT_WAIT_MS)


# --- 3. accessibility ------------------------------------------------------------------------

def _ax_nodes(page, role: str) -> list[dict]:
    """Chromium's own accessibility tree (not Playwright's idea of it): nodes with this role."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [node for node in nodes if not node.get("ignored")
            and node.get("role", {}).get("value") == role]


def _log_violations(violations: list[dict]) -> list[dict]:
    """axe's findings about the chat log itself: its role, and the lines inside it."""
    def on_log(node: dict) -> bool:
        target = " ".join(str(t) for t in node["target"])
        return bool(re.fullmatch(r"#log(-\d+)?|#m\d+", target)) or 'role="log"' in node["html"]
    return [v for v in violations if v["id"] in ("aria-allowed-role", "listitem")
            and all(on_log(node) for node in v["nodes"])]


def test_the_chat_log_role_is_allowed_on_its_element(contexts, server):
    """The live region is a <div role="log"> around the list: the <ol> keeps its list
    semantics (no orphan <li>) and role=log sits on an element that allows it."""
    child = contexts(js=True, bypass_csp=True)  # only so that axe can be injected
    start_chat(child, "A first message, so that the log has a line")
    expect(child.locator("#log li")).to_have_count(1, timeout=TIMEOUT_MS)
    found = _log_violations(run_axe(child))
    assert not found, format_violations(found)


def test_no_axe_violation_and_the_log_is_there_before_any_message(contexts, server):
    marker = uuid.uuid4().hex[:8]
    found: dict[str, list[dict]] = {}

    def check(page, state: str) -> None:
        settled(page)
        page.evaluate("window.scrollTo({top: 0, left: 0, behavior: 'instant'})")
        assert page.evaluate("document.documentElement.lang") == "en", state
        violations = run_axe(page)
        if violations:
            found[state] = violations

    child = contexts(js=True, bypass_csp=True)  # only so that axe can be injected
    child.goto("/chat")
    settled(child)
    check(child, "child: start")

    # No first message: the log is already in the page, and in the accessibility tree, empty.
    start_chat(child)
    expect(child.locator("#log li")).to_have_count(0)
    expect(child.get_by_role("log", name="Messages", exact=True)).to_have_count(1)
    logs = _ax_nodes(child, "log")
    assert [node.get("name", {}).get("value") for node in logs] == ["Messages"], logs
    check(child, "child: waiting room")
    cid = newest_chat_id(server)

    staff = contexts(js=True, bypass_csp=True)
    sign_in(staff)
    accept(staff, cid)
    staff_sends(staff, cid, f"Hello, I am a counsellor {marker}")
    expect(child.locator("#log")).to_contain_text(f"Hello, I am a counsellor {marker}",
                                                  timeout=CHAT_WAIT_MS)
    child_sends(child, f"Hello {marker}")
    expect(child.locator("#send-state")).to_have_text("Sent.", timeout=TIMEOUT_MS)
    check(child, "child: active chat with messages")
    expect(staff.locator(f"#log-{cid}")).to_contain_text(f"Hello {marker}", timeout=CHAT_WAIT_MS)
    check(staff, "counsellor: /staff/chats with messages")
    expect(staff.locator(f"section#chat-{cid}").get_by_role("log", name="Messages", exact=True)
           ).to_have_count(1)

    staff_ends(staff, cid)
    expect(child.locator("#log")).to_contain_text("The chat has ended.", timeout=CHAT_WAIT_MS)
    check(child, "child: ended")
    check(staff, "counsellor: ended")

    assert not found, "\n".join(f"{state}:\n{format_violations(v)}" for state, v in found.items())


# --- 4. a send that is retried is stored once ------------------------------------------------

def test_a_lost_answer_is_retried_and_the_message_is_stored_once(contexts, server):
    text = f"Please read this once {uuid.uuid4().hex[:8]}"
    child = contexts(js=True)
    start_chat(child)
    cid = newest_chat_id(server)
    posts: list[int] = []  # per attempt: the status the server gave (first), 0 (let through)

    def first_answer_lost(route) -> None:
        """The first send reaches the server, but its answer never reaches the browser."""
        if not posts:
            posts.append(route.fetch().status)  # stored by the server...
            route.abort("connectionreset")  # ...and the browser hears nothing
        else:
            posts.append(0)
            route.continue_()

    child.route("**/chat/send", first_answer_lost)
    child_sends(child, text)
    expect(child.locator("#send-state")).to_have_text("Not sent yet. Trying again…",
                                                      timeout=TIMEOUT_MS)
    expect(child.locator("#chat-offline")).to_have_text("Connection lost. Trying again…",
                                                        timeout=TIMEOUT_MS)
    expect(child.locator("#send-state")).to_have_text("Sent.", timeout=TIMEOUT_MS)
    expect(child.locator("#chat-offline")).to_have_text("", timeout=TIMEOUT_MS)
    assert posts == [200, 0], posts  # the first try was stored, and the retry went out...
    expect(child.locator("#log li", has_text=text)).to_have_count(1, timeout=TIMEOUT_MS)
    rows = db_rows(server, "SELECT count(*) FROM chat_message WHERE conversation = ? AND body = ?",
                   cid, text)
    assert rows == [(1,)], rows  # ...and the server kept the message once
    child.unroute("**/chat/send")
    child.reload()  # and the page as the server has it now agrees
    expect(child.locator("#log li", has_text=text)).to_have_count(1, timeout=TIMEOUT_MS)


# --- 5. the quick exit from a chat -----------------------------------------------------------

# Installed before the click: the moment the page starts leaving, report what it looks like
# (Chromium answers no evaluate while a navigation is pending), then let the chat's poller fire
# as its timer would while the neutral site is slow to answer.
_WATCH_EXIT = """() => new MutationObserver((changes, observer) => {
  if (!document.body.classList.contains('exiting')) return;
  observer.disconnect();
  const overlay = document.querySelector('.exit-overlay');
  const box = overlay && overlay.getBoundingClientRect();
  window.exitSeen({title: document.title,
                   covers: !!box && box.width >= innerWidth && box.height >= innerHeight,
                   onTop: document.elementFromPoint(innerWidth / 2, innerHeight / 2) === overlay,
                   chat: getComputedStyle(document.getElementById('chat')).visibility});
  setTimeout(() => htmx.trigger('#chat-poll', 'poll'), 300);
}).observe(document.body, {attributes: true, attributeFilter: ['class']})"""


def test_quick_exit_blanks_the_chat_and_forgets_it(contexts, server, neutral_url):
    child = contexts(js=True)
    start_chat(child, "I need to talk")
    cid = newest_chat_id(server)
    seen: list[dict] = []
    child.expose_binding("exitSeen", lambda source, state: seen.append(state))
    child.evaluate(_WATCH_EXIT)
    held = []
    child.route(neutral_url, lambda route: held.append(route))  # a slow neutral site
    back_to_the_app: list[str] = []
    child.on("request", lambda request: back_to_the_app.append(request.url)
             if request.url.startswith(server.url) and "/exit/forget" not in request.url else None)

    with child.context.expect_event("requestfinished",
                                    predicate=lambda r: r.url.endswith("/exit/forget")):
        with child.expect_request(neutral_url):
            child.locator(".exitbar a.quick-exit").click(no_wait_after=True)
    # Leaving, but not gone yet: the page is blank at once, with no title.
    for _ in range(100):
        if seen:
            break
        child.wait_for_timeout(50)
    assert seen == [{"title": "", "covers": True, "onTop": True, "chat": "hidden"}], seen
    # While the neutral site is slow, a poll must not reload the chat (its answer would be
    # HX-Refresh now that the chat cookie is gone) and so cancel the exit.
    child.wait_for_timeout(1000)  # a timed window: nothing may happen in it
    assert back_to_the_app == [], f"the page went back to the app while leaving: {back_to_the_app}"
    held[0].continue_()
    child.wait_for_url(neutral_url)
    assert child.title() == "Neutral"

    assert db_rows(server, "SELECT status FROM conversation WHERE id = ?", cid) == [("ended",)]
    assert "rp_chat" not in {cookie["name"] for cookie in child.context.cookies()}
    child.goto("/chat")
    expect(child.locator("h1")).to_have_text("Talk to a counsellor now", timeout=TIMEOUT_MS)
    expect(child.locator("#log")).to_have_count(0)


# --- 6. closed hours -------------------------------------------------------------------------

def closed_now_hours() -> tuple[str, str]:
    """A one-minute window twelve hours from now (Tirana time); "24:00" ends the day."""
    local = datetime.now(ZONE)
    minute = (local.hour * 60 + local.minute + 12 * 60) % (24 * 60)
    end = minute + 1
    return f"{minute // 60:02d}:{minute % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"


def test_closed_hours_say_when_chat_opens(browser, neutral_url):
    opens, closes = closed_now_hours()
    folder = Path(tempfile.mkdtemp(prefix="raporto-chat-closed-"))
    made: list = []
    try:
        profile = profile_with_hours(folder, opens, closes)
        with running_app(RAPORTO_EXIT_URL=neutral_url, RAPORTO_PROFILE=str(profile)) as closed:
            page = _english_contexts(browser, closed.url, made)(js=True, bypass_csp=True)
            page.goto("/chat")
            settled(page)
            expect(page.locator("h1")).to_have_text("Chat is closed now", timeout=TIMEOUT_MS)
            main = page.locator("main")
            expect(main).to_contain_text(f"Counsellors chat here every day from {opens} to {closes}.")
            expect(main).to_contain_text(
                re.compile(rf"Chat opens again (today|tomorrow) at {re.escape(opens)}\."))
            expect(page.locator('form[action="/chat/start"]')).to_have_count(0)
            expect(main.locator('a[href="/report"]')).to_have_count(1)
            expect(main.locator('a[href="tel:116111"]').first).to_be_visible()
            violations = run_axe(page)
            assert not violations, format_violations(violations)
            for context in made:
                context.close()
            made.clear()
        shutil.rmtree(closed.data, ignore_errors=True)
    finally:
        for context in made:
            context.close()
        shutil.rmtree(folder, ignore_errors=True)
