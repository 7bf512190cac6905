"""Installable and offline, the server's side: manifest, service worker, offline pages, and the
outbox's delivery endpoint (exactly once, no draft or CSRF token needed). Browser tests of the
same live in tests/browser/test_pwa.py."""

from __future__ import annotations

import json
import re

import pytest

from config import get_settings
from db.tables import Report
from tests.journey import HX, csrf, fill_all, hidden, receipt_code, start
from tests.staff_helpers import call, english


async def _await(query):
    return await query


def db(query):
    return call(_await, query)


def test_manifest_comes_from_the_profile(sqlite_client):
    response = sqlite_client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    assert response.headers["cache-control"] == "no-cache"
    manifest = response.json()
    profile = get_settings().profile
    assert manifest["name"] == profile.name and manifest["short_name"] == profile.short_name
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable"), ("any", "any")} <= purposes
    for icon in manifest["icons"]:
        assert sqlite_client.get(icon["src"]).status_code == 200
        assert "/icons/app" in icon["src"]


def test_discreet_mode_gives_a_neutral_name_and_icon(sqlite_client, monkeypatch):
    profile = get_settings().profile
    monkeypatch.setitem(profile.discreet, "enabled", True)
    manifest = sqlite_client.get("/manifest.webmanifest").json()
    assert manifest["name"] == profile.discreet["name"]
    assert manifest["short_name"] == profile.discreet["short_name"]
    assert all("/icons/discreet" in icon["src"] for icon in manifest["icons"])
    assert profile.short_name not in json.dumps(manifest)
    home = sqlite_client.get("/").text
    assert re.search(r'rel="icon" href="/static/icons/discreet\.', home)


def test_every_page_links_the_manifest(sqlite_client):
    home = sqlite_client.get("/").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in home
    assert 'data-module="install" hidden' in home  # the install hint waits for the browser


def test_service_worker_is_served_from_the_root_and_revalidated(sqlite_client):
    response = sqlite_client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert "save-data" in response.headers["vary"].lower()
    script = response.text
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", script).group(1))
    for url in shell:  # every precached file exists (a 404 would fail the whole install)
        assert sqlite_client.get(url).status_code == 200, url
    assert {"/offline/sq", "/offline/en"} <= set(shell)
    pages = json.loads(re.search(r"var PAGES = (\[.*?\]);", script).group(1))
    for forbidden in ("/report", "/check", "/chat", "/staff"):
        assert not any(page.startswith(forbidden) for page in shell + pages)
    assert "var SAVE_DATA = false;" in script
    saving = sqlite_client.get("/sw.js", headers={"Save-Data": "on"}).text
    assert "var SAVE_DATA = true;" in saving


def test_offline_pages_in_each_language(sqlite_client):
    sq = sqlite_client.get("/offline/sq")
    en = sqlite_client.get("/offline/en")
    assert sq.headers["content-language"] == "sq" and en.headers["content-language"] == "en"
    assert "You are offline" in en.text and 'href="tel:112"' in en.text
    assert 'lang="sq"' in sq.text and "You are offline" not in sq.text
    assert sqlite_client.get("/offline/xx").status_code == 404


# --- the outbox's delivery ---------------------------------------------------------------------

def _check_page(client):
    english(client)
    token = start(client)
    fill_all(client, token)
    return client.get("/report").text


def _send_form(html: str) -> dict[str, list[str]]:
    """The hidden fields of the send form, as the outbox keeps them (no CSRF token)."""
    form = html[html.index('action="/report/send"'):]
    form = form[:form.index("</form>")]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        if name != "_csrf_token":
            value = value.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
            fields.setdefault(name, []).append(value)
    return fields


def test_the_send_form_carries_the_whole_report(client):
    fields = _send_form(_check_page(client))
    assert fields["categories"] == ["physical", "bullying"] and fields["idempotency_key"]
    assert fields["municipality"] == ["kamez"]
    assert fields["details"] == ["Më godet çdo ditë.\nAt school."]


def test_delivery_is_exactly_once_and_needs_no_token_or_draft(client, backend):
    fields = _send_form(_check_page(client))
    key = fields["idempotency_key"]
    before = db(Report.count())
    client.cookies.clear()  # hours later: no draft, no CSRF cookie, maybe another browser session
    english(client)
    codes = set()
    for headers in ({}, HX, HX):  # the page and the service worker may both deliver it
        response = client.post("/report/deliver", data=fields, headers=headers)
        assert response.status_code == 200
        codes.add(receipt_code(response.text))
    assert len(codes) == 1 and len(next(iter(codes)).replace(" ", "")) == 16
    assert db(Report.count()) == before + 1
    row = db(Report.select(Report.details, Report.municipality, Report.categories).where(
        Report.idempotency_hash.is_not_null()).order_by(Report.id, ascending=False).first())
    assert row == {"details": "Më godet çdo ditë.\nAt school.", "municipality": "kamez",
                   "categories": "physical,bullying"}
    assert key


def test_delivery_forgets_its_own_draft_only(client):
    html = _check_page(client)
    fields = _send_form(html)
    response = client.post("/report/deliver", data=fields, headers=HX)
    assert response.status_code == 200
    assert "rp_draft=" in response.headers.get("set-cookie", "")
    assert "Report what is happening" in client.get("/report").text  # the draft is gone


@pytest.mark.parametrize("broken", ["no key", "bad answer", "missing answer"])
def test_an_undeliverable_report_says_so(sqlite_client, broken):
    fields = _send_form(_check_page(sqlite_client))
    if broken == "no key":
        fields.pop("idempotency_key")
    elif broken == "bad answer":
        fields["about"] = "the moon"
    else:
        fields.pop("happened")
    response = sqlite_client.post("/report/deliver", data=fields, headers=HX)
    assert response.status_code == 422
    assert "Your report could not be sent" in response.text


def test_check_page_has_the_outbox_notice_ready(sqlite_client):
    html = _check_page(sqlite_client)
    assert 'data-module="outbox" data-deliver="/report/deliver"' in html
    assert 'id="outbox-notice"' in html and "No internet right now" in html
    assert csrf(html) and hidden(html, "idempotency_key")


def test_no_thanks_to_the_install_hint_is_remembered(sqlite_client):
    home = sqlite_client.get("/").text
    assert 'data-module="install"' in home
    response = sqlite_client.post("/install/dismiss", data={"_csrf_token": csrf(home)},
                                  headers=HX)
    assert response.status_code == 200 and response.content == b""
    assert "rp_install=no" in response.headers["set-cookie"]
    assert 'data-module="install"' not in sqlite_client.get("/").text
