"""Walking the journeys through the HTTP test client, as a browser without JavaScript would."""

from __future__ import annotations

import re

HX = {"HX-Request": "true"}

ANSWERS = [
    ("who", {"about": "me"}),
    ("what", {"categories": ["physical", "bullying"]}),
    ("danger", {"in_danger": "no"}),
    ("when", {"happened": "days"}),
    ("county", {"county": "tirane"}),
    ("municipality", {"municipality": "kamez"}),
    ("age", {"age_group": "13-15"}),
    ("details", {"details": "Më godet çdo ditë.\nAt school."}),
    ("needs", {"needs": ["simple"]}),
    ("contact", {"contact": "anonymous"}),
]


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def receipt_code(html: str) -> str:
    match = re.search(r'class="code">.*?</span>([\d ]+)</p>', html, re.S)
    return match.group(1) if match else ""


def start(client) -> str:
    """Open the wizard and start a draft; returns the CSRF token."""
    token = csrf(client.get("/report").text)
    response = client.post("/report/start", data={"_csrf_token": token})
    assert response.status_code == 200
    return token


def answer(client, token: str, step: str, values: dict, headers=None):
    return client.post("/report/answer", data={"_csrf_token": token, "step": step, **values},
                       headers=headers or {})


def fill_all(client, token: str, answers=ANSWERS, headers=None):
    response = None
    for step, values in answers:
        response = answer(client, token, step, values, headers)
        assert response.status_code == 200, (step, response.text[:500])
    return response


def send(client, token: str, key: str, headers=None):
    return client.post("/report/send", data={"_csrf_token": token, "idempotency_key": key},
                       headers=headers or {})


def report(client, answers=ANSWERS) -> str:
    """A whole report without JS; returns the receipt code (16 digits in groups)."""
    token = start(client)
    check = fill_all(client, token, answers)
    response = send(client, token, hidden(check.text, "idempotency_key"))
    assert response.status_code == 200
    return receipt_code(response.text)


def open_check(client, code: str):
    token = csrf(client.get("/check").text)
    return client.post("/check/code", data={"_csrf_token": token, "code": code}), token


def chat_pages(client, headers=None):
    """The child's chat as (name, response): start page, waiting room, the room after a risky
    message (emergency card shown), and the fragments a send and a poll bring."""
    headers = headers or {}
    page = client.get("/chat", headers=headers)
    yield "chat start", page
    token = csrf(page.text)
    client.post("/chat/start", data={"_csrf_token": token, "topic": "bullying",
                                     "message": "Më ngacmojnë në shkollë çdo ditë.",
                                     "client_id": "budget-1"})
    yield "chat waiting room", client.get("/chat", headers=headers)
    sent = client.post("/chat/send", headers={**HX, **headers}, data={
        "_csrf_token": token, "message": "Dua të vdes", "client_id": "budget-2", "after": "1",
        "st": "waiting", "pos": "1"})
    yield "chat send fragment (risky)", sent
    yield "chat poll fragment", client.get("/chat/messages?after=0&st=waiting",
                                           headers={**HX, **headers})
    yield "chat waiting room, urgent", client.get("/chat", headers=headers)
    client.post("/chat/end", data={"_csrf_token": token})
    yield "chat ended", client.get("/chat", headers=headers)
    client.post("/chat/new", data={"_csrf_token": token})
