"""Coming back with the receipt code: the timeline, adding information, wrong codes, limits."""

from __future__ import annotations

from datetime import timedelta

from db.tables import FollowupSession, Report, ReportEvent, Throttle
from tests.dbutil import rows, run
from tests.journey import HX, csrf, h1, open_check, report


def test_code_opens_the_timeline_with_spaces_or_dashes(client):
    code = report(client)
    for typed in (code, code.replace(" ", "-"), code.replace(" ", "")):
        client.post("/check/close", data={"_csrf_token": csrf(client.get("/check").text)})
        response, _ = open_check(client, typed)
        assert response.status_code == 200
        assert 'class="timeline"' in response.text and 'class="done"' in response.text
    assert client.cookies.get("rp_check")


def test_timeline_follows_the_case_status(client):
    code = report(client)
    report_id = rows(Report)[-1]["id"]
    moment = rows(Report)[-1]["created_at"] + timedelta(minutes=5)
    run(Report.update({Report.status: "referred", Report.referred_kind: "child_protection"})
        .where(Report.id == report_id))
    for status in ("read", "helping", "referred"):
        run(ReportEvent.insert(ReportEvent(report=report_id, kind="status", status=status,
                                           created_at=moment)))
    run(ReportEvent.insert(ReportEvent(report=report_id, kind="counsellor_reply",
                                       body="Faleminderit që na shkrove.", created_at=moment)))
    response, _ = open_check(client, code)
    timeline = response.text.split('class="timeline"')[1].split("</ol>")[0]
    assert timeline.count('class="done"') == 4  # received, read, helping, referred
    assert "Faleminderit që na shkrove." in response.text


def test_add_information_is_appended_to_the_case(client):
    code = report(client)
    response, token = open_check(client, code)
    added = client.post("/check/add", data={"_csrf_token": token, "message": "Edhe dje ndodhi."})
    assert added.status_code == 200 and "Edhe dje ndodhi." in added.text
    event = rows(ReportEvent)[-1]
    assert event["kind"] == "reporter_message" and event["body"] == "Edhe dje ndodhi."
    fragment = client.post("/check/add", data={"_csrf_token": token, "message": "Më shumë"},
                           headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text


def test_empty_addition_is_an_error(client):
    code = report(client)
    _, token = open_check(client, code)
    response = client.post("/check/add", data={"_csrf_token": token, "message": "   "})
    assert response.status_code == 422 and 'href="#message"' in response.text


def test_expired_session_keeps_the_message_and_adds_it_after_the_code(client):
    code = report(client)
    _, token = open_check(client, code)
    run(FollowupSession.delete().where(FollowupSession.id > 0))
    response = client.post("/check/add", data={"_csrf_token": token, "message": "Mos e humb."})
    assert 'name="code"' in response.text and "Mos e humb." in response.text
    again = client.post("/check/code", data={"_csrf_token": token, "code": code,
                                             "pending": "Mos e humb."})
    assert again.status_code == 200
    assert rows(ReportEvent)[-1]["body"] == "Mos e humb."


def test_wrong_code_gets_one_neutral_message(client):
    report(client)
    wrong, _ = open_check(client, "0000 0000 0000 0000")
    malformed, _ = open_check(client, "12345")
    assert wrong.status_code == 422 and malformed.status_code == 422
    assert h1(wrong.text) and 'class="error-summary"' in wrong.text
    assert wrong.text.split('class="error-summary"')[1][:400] != ""


def test_attempts_are_limited_per_browser_without_storing_addresses(client):
    run(Throttle.delete().where(Throttle.id > 0))
    token = csrf(client.get("/check").text)
    statuses = [client.post("/check/code", data={"_csrf_token": token,
                                                  "code": f"{i:016d}"}).status_code
                for i in range(6)]
    assert statuses == [422] * 5 + [429]
    assert all("testclient" not in r["key"] and "127.0.0.1" not in r["key"] for r in rows(Throttle))


def test_close_forgets_the_session(client):
    code = report(client)
    _, token = open_check(client, code)
    client.post("/check/close", data={"_csrf_token": token})
    assert 'name="code"' in client.get("/check").text
