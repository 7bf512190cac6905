"""The report wizard over HTTP: without JS (POST -> 303 -> GET) and as htmx swaps."""

from __future__ import annotations

import pytest

from db.tables import Draft, Report, ReportEvent
from tests.dbutil import rows as _rows, run
from tests.journey import (ANSWERS, HX, answer, fill_all, h1, hidden, receipt_code, report,
                           send, start)


def test_intro_explains_and_starts(client):
    page = client.get("/report")
    assert page.status_code == 200
    assert "Raporto" in page.text and 'action="/report/start"' in page.text
    start(client)
    assert client.cookies.get("rp_draft")
    assert h1(client.get("/report").text)  # the first question


def test_full_journey_without_js_creates_one_report(client):
    code = report(client)
    digits = code.replace(" ", "")
    assert len(code.split()) == 4 and len(digits) == 16 and digits.isdigit()
    row = _rows(Report)[-1]
    assert row["categories"] == "physical,bullying" and row["county"] == "tirane"
    assert row["municipality"] == "kamez" and row["urgent"] is False
    assert digits not in str(row)  # the code is stored only as a hash
    assert row["details"] == "Më godet çdo ditë.\nAt school."
    assert _rows(ReportEvent, ReportEvent.report == row["id"])[0]["status"] == "received"


def test_receipt_is_shown_once(client):
    report(client)
    again = client.get("/report")
    assert receipt_code(again.text) == ""
    assert 'action="/report/start"' in again.text  # back at the intro, nothing left to show


def test_each_step_as_htmx_fragment(client):
    token = start(client)
    for step, values in ANSWERS:
        response = answer(client, token, step, values, HX)
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="step"' in response.text
        assert "autofocus" in response.text  # focus moves to the new step's heading
        assert "HX-Request" in response.headers.get("vary", "")
        assert "hx-push-url" not in {k.lower() for k in response.headers}
    assert "<title>" in response.text  # the fragment updates document.title
    sent = send(client, token, hidden(response.text, "idempotency_key"), HX)
    assert sent.status_code == 200 and len(receipt_code(sent.text).split()) == 4
    assert "<html" not in sent.text


def test_missing_answer_is_an_error_on_the_same_step(client):
    token = start(client)
    response = answer(client, token, "who", {})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'href="#about"' in response.text
    assert 'aria-describedby="about-error"' in response.text
    fragment = answer(client, token, "who", {}, HX)
    assert fragment.status_code == 422 and "error-summary" in fragment.text
    assert h1(client.get("/report").text) == h1(response.text)  # still on the first step


def test_validation_keeps_what_was_typed(client):
    token = start(client)
    fill_all(client, token, ANSWERS[:7])
    long_text = "a" * 5001
    response = answer(client, token, "details", {"details": long_text})
    assert response.status_code == 422 and long_text in response.text
    response = answer(client, token, "details", {"details": "ok"})
    assert response.status_code == 200


@pytest.mark.parametrize("method,field,bad", [("phone", "phone", "12"), ("email", "email", "a@b")])
def test_contact_detail_is_validated(client, method, field, bad):
    token = start(client)
    fill_all(client, token, ANSWERS[:-1])
    response = answer(client, token, "contact", {"contact": method, field: bad})
    assert response.status_code == 422 and f'href="#{field}"' in response.text
    assert f'value="{bad}"' in response.text


def test_danger_yes_shows_emergency_card_and_marks_urgent(client):
    token = start(client)
    answers = [a if a[0] != "danger" else ("danger", {"in_danger": "yes"}) for a in ANSWERS]
    danger_page = fill_all(client, token, answers[:2])
    assert 'id="emergency"' in danger_page.text and "hidden" in danger_page.text.split('id="emergency"')[1][:200]
    after = answer(client, token, "danger", {"in_danger": "yes"})
    card = after.text.split('id="emergency"')[1][:600]
    assert 'href="tel:112"' in card and 'href="tel:129"' in card and 'href="tel:116111"' in card
    check = fill_all(client, token, answers[3:])
    receipt = send(client, token, hidden(check.text, "idempotency_key"))
    assert 'href="tel:112"' in receipt.text
    assert _rows(Report)[-1]["urgent"] is True


def test_self_harm_is_always_urgent(client):
    answers = [a if a[0] != "what" else ("what", {"categories": ["selfharm"]}) for a in ANSWERS]
    report(client, answers)
    assert _rows(Report)[-1]["urgent"] is True


def test_municipality_is_skipped_without_a_county(client):
    token = start(client)
    fill_all(client, token, ANSWERS[:4])
    response = answer(client, token, "county", {"county": ""})
    assert 'name="age_group"' in response.text
    back = client.post("/report/back", data={"_csrf_token": token})
    assert 'name="county"' in back.text


def test_municipality_must_belong_to_the_county(client):
    token = start(client)
    fill_all(client, token, ANSWERS[:5])
    response = answer(client, token, "municipality", {"municipality": "vlore"})
    assert response.status_code == 422


def test_back_and_change_keep_one_url(client):
    token = start(client)
    fill_all(client, token, ANSWERS[:2])
    back = client.post("/report/back", data={"_csrf_token": token}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/report"
    assert 'value="physical" checked' in client.get("/report").text
    check = fill_all(client, token, ANSWERS[1:])
    assert "Change" in check.text or "Ndrysho" in check.text
    change = client.post("/report/change", data={"_csrf_token": token, "step": "when"})
    assert 'name="happened"' in change.text
    back_to_check = answer(client, token, "when", {"happened": "now"})
    assert 'name="idempotency_key"' in back_to_check.text  # straight back to check your answers


def test_changing_county_asks_municipality_again(client):
    token = start(client)
    fill_all(client, token, ANSWERS)
    client.post("/report/change", data={"_csrf_token": token, "step": "county"})
    response = answer(client, token, "county", {"county": "vlore"})
    assert 'name="municipality"' in response.text and "Sarandë" in response.text
    response = answer(client, token, "municipality", {"municipality": "sarande"})
    assert 'name="idempotency_key"' in response.text


def test_double_send_creates_one_report_with_one_receipt(client):
    token = start(client)
    check = fill_all(client, token)
    key = hidden(check.text, "idempotency_key")
    before = len(_rows(Report))
    first = receipt_code(send(client, token, key).text)
    second = receipt_code(send(client, token, key).text)
    assert first and first == second
    assert len(_rows(Report)) == before + 1


def test_draft_is_server_side_and_expires(client):
    token = start(client)
    answer(client, token, "who", {"about": "other_child"})
    draft = _rows(Draft)[-1]
    assert "other_child" in draft["answers"]
    assert client.cookies.get("rp_draft") not in str(draft)  # only the token's hash is stored
    run(Draft.update({Draft.expires_at: draft["created_at"]}).where(Draft.id == draft["id"]))
    page = client.get("/report")
    assert 'action="/report/start"' in page.text and "2" in page.text


def test_questions_speak_to_an_adult_about_another_child(client):
    token = start(client)
    response = answer(client, token, "who", {"about": "adult"})
    assert "child" in h1(response.text).lower() or "fëmij" in h1(response.text).lower()


def test_answers_for_unknown_steps_fall_back_to_the_current_one(client):
    token = start(client)
    response = answer(client, token, "no-such-step", {"about": "me"})
    assert response.status_code == 200
    assert 'name="categories"' in response.text
