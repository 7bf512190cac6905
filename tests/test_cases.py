"""The counsellor's work: the inbox and its poll, the case file, claiming (concurrently), the
status workflow, replies and internal notes, referrals, canned replies, urgency, reassigning and
the audit trail. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from db.tables import AuditEntry, CannedReply, Referral, Report, ReportEvent, Service
from services._db import now
from tests.dbutil import rows, run
from tests.journey import ANSWERS, HX, csrf, h1, open_check
from tests.staff_helpers import (INBOX, act_as, english, following, manual, new_report,
                                 other_browser, page_token, team, text_of, unique)

# --- helpers ---------------------------------------------------------------------------------

def answers(**changes) -> list[tuple[str, dict]]:
    """The journey's answers with some values changed (by field name)."""
    return [(step, {k: changes.get(k, v) for k, v in values.items()}) for step, values in ANSWERS]


@pytest.fixture
def client(client):
    english(client)
    return manual(client)


@pytest.fixture
def people(backend):
    return team(backend)


def sign(client, backend, people, who="counsellor") -> str:
    """Sign in as one of the team; returns a CSRF token for the forms."""
    act_as(client, backend, people[who])
    return page_token(client, INBOX)


def reference(report_id: int) -> str:
    return rows(Report, Report.id == report_id)[0]["reference"]


def inbox_rows(html: str) -> list[dict]:
    """The table rows: id, reference and the text of every cell."""
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        row_id = re.search(r'<a id="case-(\d+)"', row)
        if row_id:
            cells = [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            found.append({"id": int(row_id.group(1)), "cells": cells})
    return found


def ids_in(html: str) -> list[int]:
    return [r["id"] for r in inbox_rows(html)]


def post(client, report_id: int, action: str, token: str, hx: bool = False, **data):
    return client.post(f"/staff/case/{report_id}/{action}", data={"_csrf_token": token, **data},
                       headers=HX if hx else {})


def done(response, report_id: int, what: str) -> None:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:600])
    assert response.headers["location"] == f"/staff/case/{report_id}?done={what}"


def audit(report_id: int, action: str | None = None) -> list[dict]:
    entries = rows(AuditEntry, AuditEntry.target == f"report:{report_id}")
    return [e for e in entries if action is None or e["action"] == action]


def events(report_id: int, kind: str | None = None) -> list[dict]:
    found = rows(ReportEvent, ReportEvent.report == report_id)
    return [e for e in found if kind is None or e["kind"] == kind]


def child_page(code: str) -> str:
    """What the child sees on /check after entering the code (in a browser of their own)."""
    with other_browser() as child, following(child):
        english(child)
        response, _ = open_check(child, code)
        assert response.status_code == 200
        return response.text


def milestone_done(html: str, label: str) -> bool:
    timeline = html.split('class="timeline"')[1].split("</ol>")[0]
    return any(label in item and item.startswith(' class="done"') for item in timeline.split("<li")[1:])


def version_of(html: str) -> str:
    return re.search(r"/staff/inbox/poll\?version=(\d+)", html).group(1)


# --- the inbox -------------------------------------------------------------------------------

def test_inbox_lists_urgent_first_then_oldest_with_every_column(client, backend, people):
    older, _ = new_report(client, answers(county="berat", municipality="kucove"))
    newer, _ = new_report(client, answers(county="berat", municipality="kucove", age_group="10-12",
                                          categories=["neglect"]))
    urgent, _ = new_report(client, answers(county="berat", municipality="kucove", in_danger="yes"))
    moment = now()
    for report_id, hours in ((older, 27), (newer, 2), (urgent, 1)):
        run(Report.update({Report.created_at: moment - timedelta(hours=hours, minutes=5)})
            .where(Report.id == report_id))
    token = sign(client, backend, people)
    # The whole list (at most 200 rows): never an urgent case below a plain one.
    listed = ids_in(client.get(INBOX).text)
    urgent_ids = {r["id"] for r in rows(Report, Report.urgent == True)}  # noqa: E712
    first_plain = next(i for i, x in enumerate(listed) if x not in urgent_ids)
    assert all(x not in urgent_ids for x in listed[first_plain:]), "an urgent case below a plain one"
    # This test's cases: urgent first, then the longest waiting.
    page = client.get(f"{INBOX}?county=berat")
    assert page.status_code == 200
    mine = {urgent, older, newer}  # other tests may have left cases in Berat too
    assert [i for i in ids_in(page.text) if i in mine] == [urgent, older, newer]

    cells = {r["id"]: r["cells"] for r in inbox_rows(page.text)}
    assert cells[older] == [reference(older), "Violence: Physical violence, Violence: Bullying",
                            "13-15", "Berat", "New", "Nobody yet", "1 d 3 h"]
    assert cells[newer][1:] == ["Violence: Neglect", "10-12", "Berat", "New", "Nobody yet", "2 h 5 min"]
    assert cells[urgent][0] == f"{reference(urgent)} Urgent" and cells[urgent][-1] == "1 h 5 min"

    done(post(client, older, "claim", token), older, "claim")
    cells = {r["id"]: r["cells"] for r in inbox_rows(client.get(f"{INBOX}?county=berat").text)}
    assert cells[older][4:6] == ["Open", people["counsellor"].display_name]
    # A refresh link works without JavaScript; the poll is declared on the list.
    assert '<a href="/staff/inbox?county=berat">' in page.text
    assert 'hx-trigger="every 10s"' in page.text


def test_inbox_filters_are_plain_get_forms(client, backend, people):
    token = sign(client, backend, people)
    plain, _ = new_report(client, answers(county="korce", municipality="pogradec",
                                          categories=["online"]))
    danger, _ = new_report(client, answers(county="korce", municipality="pogradec", in_danger="yes",
                                           categories=["exploitation"]))
    elsewhere, _ = new_report(client, answers(county="kukes", municipality="has",
                                              categories=["online"]))
    done(post(client, plain, "claim", token), plain, "claim")
    closed, _ = new_report(client, answers(county="korce", municipality="pogradec"))
    done(post(client, closed, "status", token, new_status="closed"), closed, "status")
    mine = {r["id"] for r in rows(Report, Report.assigned_to == people["counsellor"].id)}

    page = client.get(INBOX).text
    assert '<form method="get" action="/staff/inbox" class="filters">' in page
    ours = {plain, danger, elsewhere, closed}

    def listed(query: str) -> set[int]:
        """The cases listed, among this test's (the only ones in Korçë and Kukës)."""
        found = set()
        for county in ("korce", "kukes"):
            response = client.get(f"{INBOX}?county={county}&{query}")
            assert response.status_code == 200
            found |= set(ids_in(response.text))
        return found & ours

    assert listed("") == {plain, danger, elsewhere}  # closed cases are not in the work list
    assert listed("status=closed") == {closed}
    assert listed("status=open") == {plain}
    assert listed("status=new") == {danger, elsewhere}
    assert set(ids_in(client.get(f"{INBOX}?county=korce").text)) == {plain, danger}
    assert listed("category=online") == {plain, elsewhere}
    assert set(ids_in(client.get(f"{INBOX}?county=kukes&category=online").text)) == {elsewhere}
    assert listed("urgent=1") == {danger}
    assert listed("mine=1") == {plain} == mine & ours
    # Unknown values are ignored, never an error.
    for county in ("korce", "kukes"):
        assert client.get(f"{INBOX}?county={county}&status=bogus&category=nope&mine=yes").status_code == 200
    assert listed("status=bogus&category=nope") == {plain, danger, elsewhere}
    assert closed in ids_in(client.get(f"{INBOX}?county=atlantis&status=closed").text)
    # The chosen filters stay selected and travel with the poll and the refresh link.
    filtered = client.get(f"{INBOX}?county=korce&urgent=1").text
    assert '<option value="korce" selected>' in filtered
    assert 'id="f-urgent" name="urgent" value="1" checked' in filtered
    assert "/staff/inbox/poll?version=" in filtered and "&amp;county=korce&amp;urgent=1" in filtered
    assert '<a href="/staff/inbox?county=korce&amp;urgent=1">' in filtered


def test_poll_answers_204_until_something_changes(client, backend, people):
    sign(client, backend, people)
    page = client.get(f"{INBOX}?county=gjirokaster")
    version = version_of(page.text)
    poll = "/staff/inbox/poll?county=gjirokaster&version="
    quiet = client.get(poll + version, headers={**HX, "Accept-Encoding": "br, gzip"})
    assert quiet.status_code == 204
    assert quiet.content == b""

    report_id, _ = new_report(client, answers(county="gjirokaster", municipality="permet"))
    changed = client.get(poll + version, headers={**HX, "Accept-Encoding": "br, gzip"})
    assert changed.status_code == 200
    assert "<html" not in changed.text and "<!doctype" not in changed.text.lower()
    assert f'id="case-{report_id}"' in changed.text
    assert 'hx-swap-oob="innerHTML:#status"' in changed.text
    announcement = re.search(r'<span hx-swap-oob="innerHTML:#status">(.*?)</span>', changed.text, re.S)
    assert announcement and "Inbox updated:" in announcement.group(1)
    assert "autofocus" not in changed.text  # new arrivals never steal focus
    new_version = version_of(changed.text)
    assert int(new_version) > int(version)
    assert client.get(poll + new_version, headers=HX).status_code == 204
    everything = client.get(f"/staff/inbox/poll?version={version}",
                            headers={**HX, "Accept-Encoding": "br, gzip"})
    full = client.get(INBOX, headers={"Accept-Encoding": "br, gzip"})

    def head(response) -> int:
        """Status line and headers as sent (approximately: HTTP/1.1 framing)."""
        return len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + sum(
            len(k) + len(v) + 4 for k, v in response.headers.raw) + 2

    print(f"\n[{backend}] inbox poll sizes: unchanged -> 204, body {len(quiet.content)} B, "
          f"headers ~{head(quiet)} B; changed, 1 row -> 200 fragment {changed.num_bytes_downloaded} B "
          f"{changed.headers.get('content-encoding', 'identity')} ({len(changed.content)} B raw), "
          f"headers ~{head(changed)} B; changed, unfiltered {len(inbox_rows(everything.text))} rows -> "
          f"{everything.num_bytes_downloaded} B ({len(everything.content)} B raw); whole inbox page "
          f"{full.num_bytes_downloaded} B ({len(full.content)} B raw)")


def test_poll_needs_a_session(client):
    response = client.get("/staff/inbox/poll?version=0", headers=HX)
    assert response.headers.get("hx-redirect") == "/staff/login"
    assert client.get("/staff/inbox/poll?version=0").headers["location"] == "/staff/login"


# --- the case file ---------------------------------------------------------------------------

def test_case_file_shows_what_the_child_sent_additions_and_timeline(client, backend, people):
    details = unique("Details-") + " at school"
    report_id, code = new_report(client, answers(details=details, county="vlore",
                                                 municipality="sarande",
                                                 needs=["simple", "screen_reader"]))
    added = unique("Addition-")
    with following(client):
        _, token = open_check(client, code)
        assert client.post("/check/add", data={"_csrf_token": token, "message": added}).status_code == 200
    assert not milestone_done(child_page(code), "A counsellor has read it")

    sign(client, backend, people)
    page = client.get(f"/staff/case/{report_id}")
    assert page.status_code == 200
    assert h1(page.text) == f"Case {reference(report_id)}"
    text = text_of(page.text)
    for shown in (details, added, "Violence: Physical violence", "Violence: Bullying",
                  "Sarandë, Vlorë", "13 to 15", "About me", "Stay anonymous",
                  "Please write simply", "I use a screen reader", "How to talk with this person"):
        assert shown in text, shown
    assert "Nobody yet" in text and "New" in text
    timeline = page.text.split("<h2>Timeline</h2>")[1]
    assert added in timeline and "We received your report" in timeline
    # Opening it the first time tells the child it was read, once.
    assert len([e for e in events(report_id, "status") if e["status"] == "read"]) == 1
    client.get(f"/staff/case/{report_id}")
    assert len([e for e in events(report_id, "status") if e["status"] == "read"]) == 1
    child = child_page(code)
    assert milestone_done(child, "A counsellor has read it")
    assert not milestone_done(child, "Someone is helping")

    token = page_token(client, f"/staff/case/{report_id}")
    done(post(client, report_id, "claim", token), report_id, "claim")
    after = client.get(f"/staff/case/{report_id}?done=claim")
    assert "You have this case now." in after.text
    assert 'role="status"' in after.text
    assert milestone_done(child_page(code), "Someone is helping")
    row = rows(Report, Report.id == report_id)[0]
    assert row["status"] == "open" and row["assigned_to"] == people["counsellor"].id


def test_unknown_case_is_a_404_page(client, backend, people):
    sign(client, backend, people)
    response = client.get("/staff/case/987654321")
    assert response.status_code == 404
    assert h1(response.text) == "Page not found"


def _claim_at_once(backend, people, report_id: int) -> dict[str, object]:
    """Both counsellors press "Take this case" at the same moment, each in a browser of theirs.

    Each browser is a separate test client whose requests run on event loops of their own, in
    two threads released together by a barrier: two app workers writing to one database.
    """
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}
    with other_browser() as first, other_browser() as second:
        clients = {"counsellor": first, "counsellor2": second}
        for who, browser in clients.items():
            english(browser)
            act_as(browser, backend, people[who])
        tokens = {who: page_token(c, f"/staff/case/{report_id}") for who, c in clients.items()}

        def claim(who: str) -> None:
            try:
                barrier.wait(timeout=10)
                results[who] = post(clients[who], report_id, "claim", tokens[who])
            except Exception as error:  # noqa: BLE001 - reported by the test
                results[who] = error

        threads = [threading.Thread(target=claim, args=(who,)) for who in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return results


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_claim_exactly_one_wins(client, backend, people, round_):
    report_id, _ = new_report(client)
    results = _claim_at_once(backend, people, report_id)
    for who, result in results.items():
        assert not isinstance(result, Exception), f"{who}: {result!r}"
    codes = sorted(r.status_code for r in results.values())
    assert codes == [303, 409], {w: (r.status_code, text_of(r.text)[:300]) for w, r in results.items()}
    winner = next(w for w, r in results.items() if r.status_code == 303)
    loser = next(w for w, r in results.items() if r.status_code == 409)
    assert rows(Report, Report.id == report_id)[0]["assigned_to"] == people[winner].id
    lost = results[loser].text
    assert f"{people[winner].display_name} already has this case." in text_of(lost)
    summary = text_of(lost.split('class="error-summary"')[1].split("</div>")[0])
    assert people[winner].display_name in summary and people[loser].display_name not in summary
    assert len(audit(report_id, "case.claim")) == 1
    assert len(events(report_id, "assigned")) == 1
    assert [e["status"] for e in events(report_id, "status")].count("helping") == 1


def test_error_summary_links_lead_to_something(client, backend, people):
    report_id, _ = new_report(client)
    token = sign(client, backend, people, "counsellor")
    done(post(client, report_id, "claim", token), report_id, "claim")
    act_as(client, backend, people["counsellor2"])
    token = page_token(client, f"/staff/case/{report_id}")
    lost = post(client, report_id, "claim", token)
    assert lost.status_code == 409
    summary = lost.text.split('class="error-summary"')[1].split("</div>")[0]
    for target in re.findall(r'href="#([^"]+)"', summary):
        assert f'id="{target}"' in lost.text, f"the error summary links to #{target}, which is missing"


# --- the status workflow ---------------------------------------------------------------------

def test_status_workflow_with_reopen_each_change_recorded(client, backend, people):
    report_id, code = new_report(client)
    token = sign(client, backend, people)
    steps = [("open", "helping"), ("referred", "referred"), ("closed", "closed"), ("open", "helping")]
    previous = "new"
    for status, milestone in steps:
        done(post(client, report_id, "status", token, new_status=status), report_id, "status")
        assert rows(Report, Report.id == report_id)[0]["status"] == status
        assert events(report_id, "status")[-1]["status"] == milestone
        entry = audit(report_id, "case.status")[-1]
        assert entry["detail"] == f"{previous} -> {status}"
        assert entry["actor"] == people["counsellor"].id
        assert entry["actor_name"] == people["counsellor"].display_name
        previous = status
    assert len(audit(report_id, "case.status")) == 4
    # The child's timeline follows: reopened, so "helping" is the current step again.
    child = child_page(code)
    assert milestone_done(child, "Someone is helping")
    assert not milestone_done(child, "Your report is closed")

    # Not possible from here: a 409 page that keeps everything; not a status: 422.
    refused = post(client, report_id, "status", token, new_status="new")
    assert refused.status_code == 409 and "That status change is not possible from here." in refused.text
    assert refused.text.count("Error:") >= 1
    wrong = post(client, report_id, "status", token, new_status="archived")
    assert wrong.status_code == 422 and 'href="#new_status"' in wrong.text
    assert rows(Report, Report.id == report_id)[0]["status"] == "open"
    # The status form offers only the changes possible from the current status.
    select = client.get(f"/staff/case/{report_id}").text.split('id="new_status"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w+)"', select) == ["closed"]


def test_actions_answer_htmx_with_the_case_fragment(client, backend, people):
    report_id, _ = new_report(client)
    token = sign(client, backend, people)
    response = post(client, report_id, "status", token, hx=True, new_status="open")
    assert response.status_code == 200
    assert "<html" not in response.text and response.text.count('id="case"') == 1
    assert "The status was changed." in response.text
    assert re.search(r'<p class="panel" role="status" tabindex="-1" autofocus>', response.text)
    assert "<title>Case " in response.text
    error = post(client, report_id, "urgency", token, hx=True, urgent="yes", reason="")
    assert error.status_code == 422 and "<html" not in error.text
    assert "<title>Error: Case" in error.text


# --- replies, internal notes -----------------------------------------------------------------

def test_replies_reach_the_child_internal_notes_never_do(client, backend, people):
    report_id, code = new_report(client)
    token = sign(client, backend, people)
    reply = unique("Reply-") + " – we are here for you."
    note = unique("INTERNAL-NOTE-MARKER-")
    done(post(client, report_id, "reply", token, reply=reply), report_id, "reply")
    done(post(client, report_id, "note", token, note=note), report_id, "note")
    fragment = post(client, report_id, "note", token, hx=True, note=note + " second")
    assert fragment.status_code == 200 and "The internal note was saved." in fragment.text
    assert events(report_id, "counsellor_reply")[-1]["body"] == reply
    assert events(report_id, "internal_note")[-1]["body"] == note + " second"
    assert len(audit(report_id, "case.reply")) == 1 and len(audit(report_id, "case.note")) == 2
    staff_view = client.get(f"/staff/case/{report_id}").text
    assert reply in staff_view and note in staff_view and 'class="note"' in staff_view

    # Every page and fragment the child can reach with their code.
    seen = []
    with other_browser() as child:
        english(child)
        token = csrf(child.get("/check").text)
        seen.append(child.get("/check").text)
        entered = child.post("/check/code", data={"_csrf_token": token, "code": code})
        assert entered.status_code == 303
        seen.append(entered.text)
        seen.append(child.get("/check").text)
        child.post("/check/close", data={"_csrf_token": token})
        seen.append(child.post("/check/code", data={"_csrf_token": token, "code": code},
                               headers=HX).text)
        seen.append(child.post("/check/add", data={"_csrf_token": token, "message": "Faleminderit"},
                               headers=HX).text)
        seen.append(child.post("/check/add", data={"_csrf_token": token, "message": ""},
                               headers=HX).text)
        seen.append(child.post("/check/add", data={"_csrf_token": token, "message": "Edhe"}).text)
        seen.append(child.get("/check").text)
        for path in ("/", "/report", "/info/what-happens"):
            seen.append(child.get(path).text)
    assert reply in seen[2] and reply in seen[3]
    for html in seen:
        assert note not in html
        assert "INTERNAL-NOTE-MARKER" not in html


def test_empty_or_overlong_reply_is_an_error(client, backend, people):
    report_id, _ = new_report(client)
    token = sign(client, backend, people)
    empty = post(client, report_id, "reply", token, reply="   ")
    assert empty.status_code == 422 and 'href="#reply"' in empty.text
    long_text = "a" * 5001
    too_long = post(client, report_id, "reply", token, reply=long_text)
    assert too_long.status_code == 422 and long_text in too_long.text  # nothing typed is lost
    assert not events(report_id, "counsellor_reply")


# --- referrals -------------------------------------------------------------------------------

def _service(kind: str = "police", **values) -> dict:
    name = unique("Secret Service Name ")
    fields = dict(name=name, kind=kind, county="", municipality="",
                  phone="+355 4 " + unique("")[:7], address=unique("Rruga e Fshehtë "),
                  hours="08-16", active=True)
    fields.update(values)
    service_id = run(Service.insert(Service(**fields)).returning(Service.id))[0]["id"]
    return {"id": service_id, **fields}


def test_referral_the_child_sees_the_kind_never_the_details(client, backend, people):
    service = _service("police")
    local = _service("child_protection", county="tirane", municipality="kamez")
    elsewhere = _service("health", county="vlore")
    report_id, code = new_report(client)
    token = sign(client, backend, people)
    done(post(client, report_id, "claim", token), report_id, "claim")
    page = client.get(f"/staff/case/{report_id}").text
    options = page.split('id="service"')[1].split("</select>")[0]
    assert service["name"] in options and local["name"] in options
    assert elsewhere["name"] not in options  # a service of another county is not offered
    assert options.index(local["name"]) < options.index(service["name"])  # the nearest first

    note = unique("Referral-note-")
    done(post(client, report_id, "refer", token, service=str(service["id"]), note=note),
         report_id, "refer")
    row = rows(Report, Report.id == report_id)[0]
    assert row["status"] == "referred" and row["referred_kind"] == "police"
    (referral,) = rows(Referral, Referral.report == report_id)
    assert referral["status"] == "sent" and referral["note"] == note
    assert referral["created_by"] == people["counsellor"].id
    assert audit(report_id, "case.refer")[-1]["detail"] == service["name"]
    staff_view = client.get(f"/staff/case/{report_id}").text
    assert service["name"] in staff_view and service["phone"] in staff_view and note in staff_view

    child = child_page(code)
    assert milestone_done(child, "Referred to the police")
    for secret in (service["name"], service["phone"], service["address"], note, "Secret Service"):
        assert secret not in child, secret

    # The referral's own status: sent -> accepted -> done, with a note.
    update = unique("Update-note-")
    path = f"referral/{referral['id']}"
    done(post(client, report_id, path, token, referral_status="accepted", referral_note=update),
         report_id, "referral")
    assert rows(Referral, Referral.id == referral["id"])[0]["status"] == "accepted"
    assert rows(Referral, Referral.id == referral["id"])[0]["note"] == update
    entries = rows(AuditEntry, AuditEntry.target == f"referral:{referral['id']}")
    assert [e["action"] for e in entries] == ["referral.update"] and entries[0]["detail"] == "accepted"
    assert events(report_id, "referral")[-1]["body"] == "accepted"
    bad = post(client, report_id, path, token, referral_status="lost")
    assert bad.status_code == 422
    other = post(client, report_id, "referral/987654321", token, referral_status="done")
    assert other.status_code == 409 and "This referral does not exist." in other.text
    child = child_page(code)
    assert update not in child and "accepted" not in child.lower().split("<main")[1]


def test_referring_needs_an_active_service(client, backend, people):
    report_id, _ = new_report(client)
    token = sign(client, backend, people)
    done(post(client, report_id, "claim", token), report_id, "claim")
    missing = post(client, report_id, "refer", token, service="")
    assert missing.status_code == 422 and 'href="#service"' in missing.text
    retired = _service("ngo", active=False)
    refused = post(client, report_id, "refer", token, service=str(retired["id"]))
    assert refused.status_code == 409 and "Choose a service from the list." in refused.text
    assert not rows(Referral, Referral.report == report_id)
    assert rows(Report, Report.id == report_id)[0]["status"] == "open"


def test_referring_a_new_case_is_all_or_nothing(client, backend, people):
    service = _service("education")
    report_id, _ = new_report(client)
    token = sign(client, backend, people)
    response = post(client, report_id, "refer", token, service=str(service["id"]), note="n")
    saved = rows(Referral, Referral.report == report_id)
    status = rows(Report, Report.id == report_id)[0]["status"]
    if response.status_code == 303:
        assert saved and status == "referred"
    else:
        assert not saved and not audit(report_id, "case.refer") and status == "new"


# --- canned replies --------------------------------------------------------------------------

def test_canned_reply_fills_the_reply_box_with_and_without_js(client, backend, people):
    body = unique("Canned-body-") + " Thank you for telling us."
    title = unique("Thanks ")
    canned_id = run(CannedReply.insert(CannedReply(language="en", title=title, body=body))
                    .returning(CannedReply.id))[0]["id"]
    albanian = run(CannedReply.insert(CannedReply(language="sq", title=unique("Faleminderit "),
                                                  body="Faleminderit")).returning(CannedReply.id))[0]["id"]
    report_id, code = new_report(client)
    token = sign(client, backend, people)
    page = client.get(f"/staff/case/{report_id}").text
    choices = page.split('id="canned"')[1].split("</select>")[0]
    assert title in choices and f'value="{canned_id}"' in choices
    assert f'value="{albanian}"' not in choices  # only replies in the page's language

    whole = post(client, report_id, "canned", token, canned=str(canned_id))
    assert whole.status_code == 200 and "<!doctype html>" in whole.text.lower()
    box = re.search(r'<textarea[^>]*name="reply"[^>]*>(.*?)</textarea>', whole.text, re.S)
    assert box and body in box.group(1)
    fragment = post(client, report_id, "canned", token, hx=True, canned=str(canned_id))
    assert fragment.status_code == 200 and "<html" not in fragment.text
    box = re.search(r'<textarea[^>]*name="reply"[^>]*>(.*?)</textarea>', fragment.text, re.S)
    assert box and body in box.group(1)
    # Nothing is sent until the counsellor sends it.
    assert not events(report_id, "counsellor_reply")
    assert body not in child_page(code)
    wrong = post(client, report_id, "canned", token, canned=str(albanian))
    assert wrong.status_code == 422 and 'href="#canned"' in wrong.text


# --- urgency ---------------------------------------------------------------------------------

def test_urgency_changes_need_a_reason(client, backend, people):
    report_id, _ = new_report(client, answers(county="diber", municipality="bulqize"))
    token = sign(client, backend, people)
    assert not rows(Report, Report.id == report_id)[0]["urgent"]
    refused = post(client, report_id, "urgency", token, urgent="yes", reason=" ")
    assert refused.status_code == 422
    assert 'href="#reason"' in refused.text and "Say why the urgency changes" in refused.text
    assert not rows(Report, Report.id == report_id)[0]["urgent"]
    assert not audit(report_id, "case.urgency")

    done(post(client, report_id, "urgency", token, urgent="yes", reason="Threat at home tonight"),
         report_id, "urgency")
    row = rows(Report, Report.id == report_id)[0]
    assert row["urgent"] and row["urgency_reason"] == "Threat at home tonight"
    assert events(report_id, "urgency")[-1]["status"] == "urgent"
    assert audit(report_id, "case.urgency")[-1]["detail"] == "urgent: Threat at home tonight"
    assert report_id in ids_in(client.get(f"{INBOX}?urgent=1&county=diber").text)

    assert post(client, report_id, "urgency", token, urgent="no", reason="").status_code == 422
    done(post(client, report_id, "urgency", token, urgent="no", reason="Safe with grandmother"),
         report_id, "urgency")
    assert not rows(Report, Report.id == report_id)[0]["urgent"]
    assert audit(report_id, "case.urgency")[-1]["detail"] == "not urgent: Safe with grandmother"
    assert post(client, report_id, "urgency", token, urgent="maybe", reason="x").status_code == 422


# --- assigning -------------------------------------------------------------------------------

def test_reassign_only_by_the_holder_or_a_supervisor(client, backend, people):
    report_id, _ = new_report(client)
    token = sign(client, backend, people, "counsellor")
    done(post(client, report_id, "claim", token), report_id, "claim")

    act_as(client, backend, people["counsellor2"])
    token = page_token(client, f"/staff/case/{report_id}")
    refused = post(client, report_id, "assign", token, account=str(people["counsellor2"].id))
    assert refused.status_code == 409
    assert "Only a supervisor or the counsellor who has the case can reassign it." in refused.text
    assert rows(Report, Report.id == report_id)[0]["assigned_to"] == people["counsellor"].id
    # Taking it over by "claiming" does not work either: it tells who has it.
    taken = post(client, report_id, "claim", token)
    assert taken.status_code == 409
    assert f"{people['counsellor'].display_name} already has this case." in text_of(taken.text)

    act_as(client, backend, people["supervisor"])
    token = page_token(client, f"/staff/case/{report_id}")
    done(post(client, report_id, "assign", token, account=str(people["counsellor2"].id)),
         report_id, "assign")
    assert rows(Report, Report.id == report_id)[0]["assigned_to"] == people["counsellor2"].id
    entry = audit(report_id, "case.assign")[-1]
    assert entry["actor"] == people["supervisor"].id
    assert entry["detail"] == people["counsellor2"].display_name

    # The new holder hands it back to the queue.
    act_as(client, backend, people["counsellor2"])
    token = page_token(client, f"/staff/case/{report_id}")
    done(post(client, report_id, "assign", token, account=""), report_id, "assign")
    assert rows(Report, Report.id == report_id)[0]["assigned_to"] is None
    assert audit(report_id, "case.assign")[-1]["detail"] == "queue"
    # A made-up account is refused.
    act_as(client, backend, people["supervisor"])
    bad = post(client, report_id, "assign", token, account="987654321")
    assert bad.status_code == 409 and "Choose a member of staff from the list." in bad.text


# --- the audit trail -------------------------------------------------------------------------

def test_every_action_writes_an_audit_entry(client, backend, people):
    service = _service("legal_aid")
    report_id, _ = new_report(client)
    token = sign(client, backend, people)
    me = people["counsellor"]
    before = {e["id"] for e in rows(AuditEntry)}
    client.get(f"/staff/case/{report_id}")
    done(post(client, report_id, "claim", token), report_id, "claim")
    done(post(client, report_id, "reply", token, reply="Hello"), report_id, "reply")
    done(post(client, report_id, "note", token, note="Staff only"), report_id, "note")
    done(post(client, report_id, "refer", token, service=str(service["id"]), note=""), report_id, "refer")
    referral_id = rows(Referral, Referral.report == report_id)[-1]["id"]
    done(post(client, report_id, f"referral/{referral_id}", token, referral_status="done"),
         report_id, "referral")
    done(post(client, report_id, "urgency", token, urgent="yes", reason="Because"), report_id, "urgency")
    done(post(client, report_id, "status", token, new_status="closed"), report_id, "status")
    done(post(client, report_id, "gender", token, gender="girl"), report_id, "gender")
    done(post(client, report_id, "assign", token, account=str(people["counsellor2"].id)),
         report_id, "assign")
    new = [e for e in rows(AuditEntry) if e["id"] not in before]
    ours = [e for e in new if e["target"] in (f"report:{report_id}", f"referral:{referral_id}")]
    actions = [e["action"] for e in ours]
    for action in ("case.view", "case.claim", "case.reply", "case.note", "case.refer",
                   "referral.update", "case.urgency", "case.status", "case.gender", "case.assign"):
        assert action in actions, (action, actions)
    assert all(e["actor"] == me.id and e["actor_name"] == me.display_name for e in ours)
    assert all(now() - e["at"] < timedelta(minutes=5) for e in ours)
    # What the reporter wrote and what the counsellor wrote never go into the audit log.
    assert not any("Hello" in e["detail"] or "Staff only" in e["detail"] for e in ours)


def test_claiming_a_referred_case_keeps_the_childs_timeline(client, backend, people):
    report_id, code = new_report(client)
    token = sign(client, backend, people)
    done(post(client, report_id, "status", token, new_status="open"), report_id, "status")
    done(post(client, report_id, "status", token, new_status="referred"), report_id, "status")
    before = child_page(code)
    assert milestone_done(before, "Referred to a service that can help")
    done(post(client, report_id, "claim", token), report_id, "claim")
    assert rows(Report, Report.id == report_id)[0]["status"] == "referred"
    assert milestone_done(child_page(code), "Referred to a service that can help")
