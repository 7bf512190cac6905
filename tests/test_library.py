"""The information library on SQLite and PostgreSQL: the shipped pages, browsing, search with
and without Albanian diacritics, drafts that never reach the public, versions and restore, the
editor's roles and audit, safe Markdown, easy read."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from db.tables import AuditEntry
from services import library
from services.accounts import StaffUser
from services.markdown import render
from tests.journey import h1
from tests.staff_helpers import HOST, act_as, call, english, manual, page_token, team, text_of

LIBRARY = Path(__file__).resolve().parents[1] / "content" / "library"
SHIPPED = sorted(p.stem for p in (LIBRARY / "en").glob("*.md"))


async def _await(query):
    return await query


def db(query):
    return call(_await, query)


def albanian(client):
    client.cookies.set("rp_lang", "sq", domain=HOST, path="/")


def test_every_shipped_page_is_published_in_both_languages(client):
    assert len(SHIPPED) >= 14
    assert sorted(p.stem for p in (LIBRARY / "sq").glob("*.md")) == SHIPPED
    for language in ("sq", "en"):
        client.cookies.set("rp_lang", language, domain=HOST, path="/")
        for slug in SHIPPED:
            response = client.get(f"/info/{slug}")
            assert response.status_code == 200, (language, slug)
            assert f'lang="{language}"' in response.text
            assert 'href="/report"' in response.text and 'href="/chat"' in response.text


def test_browse_by_audience_and_topic(client):
    english(client)
    children = client.get("/info?audience=children").text
    adults = client.get("/info?audience=adults").text
    assert 'href="/info/bullying"' in children and 'href="/info/bullying"' not in adults
    assert 'href="/info/signs-of-harm"' in adults and 'href="/info/signs-of-harm"' not in children
    online = client.get("/info?topic=online").text
    assert 'href="/info/online-safety"' in online and 'href="/info/feelings"' not in online
    assert client.get("/info?audience=martians&topic=x").status_code == 200  # ignored, all


@pytest.mark.parametrize("query, slug", [("femije", "what-is-abuse"), ("fëmijë", "what-is-abuse"),
                                         ("cfare", "what-happens"), ("çfarë", "what-happens"),
                                         ("bullizem", "bullying"), ("BULLIZËM", "bullying")])
def test_albanian_search_with_or_without_diacritics(client, query, slug):
    albanian(client)
    response = client.get("/info/search", params={"q": query})
    assert response.status_code == 200
    assert f'href="/info/{slug}"' in response.text, (query, text_of(response.text)[:400])


def test_english_search_and_no_results(client):
    english(client)
    found = client.get("/info/search", params={"q": "bully"}).text
    assert 'href="/info/bullying"' in found and "pages found" in found
    none = client.get("/info/search", params={"q": "zzzqqq"}).text
    assert "0 pages found" in none and "Nothing found" in none
    odd = client.get("/info/search", params={"q": '" OR * NEAR( -- \\ \' ;'})
    assert odd.status_code == 200  # search syntax is never passed through
    htmx = client.get("/info/search", params={"q": "bully"}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.text and 'hx-swap-oob="innerHTML:#status"' in htmx.text


def _fields(**changes) -> dict:
    fields = {"audience": "children", "topic": "feelings", "title": "Draft title",
              "summary": "A summary", "body": "## Part\n\nSome words about kites.",
              "easy_read": "", "refs": [], "reviewed": None}
    fields.update(changes)
    return fields


def test_drafts_never_reach_the_public(client, backend):
    english(client)
    person = team(backend)["supervisor"]
    editor = StaffUser(person.id, person.username, person.display_name, person.role)
    word = "zebra" + uuid.uuid4().hex[:6]
    slug = "draft-" + uuid.uuid4().hex[:8]
    page_id = call(library.create, slug, "en", _fields(body=f"About {word}."), None, False)
    assert client.get(f"/info/{slug}").status_code == 404
    assert f"/info/{slug}" not in client.get("/info").text
    assert f"/info/{slug}" not in client.get("/info/search", params={"q": word}).text
    call(library.publish, page_id, 1, editor)
    assert client.get(f"/info/{slug}").status_code == 200
    assert f"/info/{slug}" in client.get("/info/search", params={"q": word}).text
    # a later draft changes nothing for the public, and is not searchable
    other = "okapi" + uuid.uuid4().hex[:6]
    call(library.save, page_id, _fields(title="Changed", body=f"About {other}."), editor, False)
    page = client.get(f"/info/{slug}").text
    assert word in page and other not in page and "Changed" not in page
    assert f"/info/{slug}" not in client.get("/info/search", params={"q": other}).text


def test_markdown_is_rendered_inert():
    html = render("# Big\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
                  "[a](javascript:alert(1)) [b](//evil.example/x) [c](/report) [d](tel:116111)\n\n"
                  "![pic](/x.png)")
    assert "<script" not in html and "<img" not in html and "onerror=" not in html.replace(
        "&lt;img src=x onerror=alert(1)&gt;", "")
    assert 'href="javascript' not in html and 'href="//evil' not in html
    assert '<a href="/report">c</a>' in html and '<a href="tel:116111">d</a>' in html
    assert "<h1" not in html and "<h2>Big</h2>" in html


def test_easy_read_switch_works_without_js(client):
    english(client)
    full = client.get("/info/bullying").text
    response = client.get("/easy-read/on?next=/info/bullying", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/info/bullying"
    assert "rp_easy=1" in response.headers["set-cookie"]
    easy = client.get("/info/bullying").text
    assert 'class="easy-version"' in easy and 'class="easy-version"' not in full
    assert '<body class="easy"' in easy and "Show the whole page" in easy
    assert 'class="easy-version"' not in client.get("/info/bullying?full=1").text
    client.get("/easy-read/off?next=/")
    assert 'class="easy-version"' not in client.get("/info/bullying").text
    assert client.get("/easy-read/maybe").status_code == 404


def test_old_addresses_still_work(client):
    response = client.get("/info/staying-safe-online", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/info/online-safety"


# --- the editor --------------------------------------------------------------------------------

def _editor_form(token: str, **changes) -> dict:
    form = {"_csrf_token": token, "audience": "children", "topic": "feelings",
            "title": "Kites and feelings", "summary": "Flying a kite", "action": "draft",
            "body": "## Kites\n\nA kite can help.", "easy_read": "", "refs": "", "reviewed": ""}
    form.update(changes)
    return form


def test_counsellors_cannot_edit(client, backend):
    act_as(client, backend, team(backend)["counsellor"])
    assert client.get("/staff/library", follow_redirects=False).status_code == 403


def test_edit_preview_publish_and_restore(client, backend):
    manual(client)
    english(client)
    act_as(client, backend, team(backend)["supervisor"])
    token = page_token(client, "/staff/library/new")
    slug = "kites-" + uuid.uuid4().hex[:8]
    bad = client.post("/staff/library/new", data=_editor_form(
        token, slug="Not A Slug!", language="en", refs="no url here", reviewed="28/11/2026"))
    assert bad.status_code == 422 and h1(bad.text) == "New page"
    for message in ("small letters, digits and dashes", "title | https://address",
                    "year-month-day"):
        assert message in bad.text
    assert 'value="Kites and feelings"' in bad.text  # nothing typed is lost
    preview = client.post("/staff/library/new", data=_editor_form(
        token, slug=slug, language="en", action="preview", body="## Kites\n\n<b>bold</b>"))
    assert preview.status_code == 200 and "Preview (not saved)" in preview.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in preview.text
    assert client.get(f"/info/{slug}").status_code == 404  # a preview saves nothing
    created = client.post("/staff/library/new", data=_editor_form(
        token, slug=slug, language="en", action="publish", refs="UNICEF | https://www.unicef.org",
        reviewed="2026-11-28"))
    assert created.status_code == 303
    page_url = created.headers["location"].split("?")[0]
    page_id = int(page_url.rsplit("/", 1)[1])
    public = client.get(f"/info/{slug}").text
    assert "Kites and feelings" in public and "https://www.unicef.org" in public
    assert "28.11.2026" in public
    again = client.post("/staff/library/new", data=_editor_form(
        token, slug=slug, language="en", action="draft"))
    assert again.status_code == 409 and "already exists" in again.text
    edited = client.post(page_url, data=_editor_form(token, title="Kites, version two",
                                                     action="publish"))
    assert edited.status_code == 303
    assert "Kites, version two" in client.get(f"/info/{slug}").text
    restored = client.post(page_url + "/restore", data={"_csrf_token": token, "number": "1"})
    assert restored.status_code == 303
    editor = client.get(page_url).text
    assert "Version 3" in editor and 'value="Kites and feelings"' in editor
    assert "Kites, version two" in client.get(f"/info/{slug}").text  # a restore is a draft
    client.post(page_url + "/publish", data={"_csrf_token": token, "number": "3"})
    assert "Kites and feelings" in client.get(f"/info/{slug}").text
    missing = client.post(page_url + "/publish", data={"_csrf_token": token, "number": "99"})
    assert missing.status_code == 422
    client.post(page_url + "/unpublish", data={"_csrf_token": token})
    assert client.get(f"/info/{slug}").status_code == 404
    actions = [r["action"] for r in db(AuditEntry.select(AuditEntry.action).where(
        AuditEntry.target == f"page:{page_id}").order_by(AuditEntry.id))]
    assert actions == ["library.create", "library.publish", "library.restore", "library.publish",
                       "library.unpublish"]


def test_easy_read_reaches_the_wizard_the_receipt_and_the_chat(client, monkeypatch):
    from services import chat
    from tests.journey import ANSWERS, csrf, fill_all, hidden, receipt_code, send, start

    english(client)
    client.cookies.set("rp_easy", "1", domain=HOST, path="/")
    token = start(client)
    assert h1(client.get("/report").text) == "Is this about you, or about someone else?"
    fill_all(client, token, ANSWERS[:1])
    what = client.get("/report").text
    assert "What is happening to you? You can choose more than one." in what
    assert "Other children hurt me or leave me out, again and again" in what
    assert 'data-module="read-aloud" data-target="step" data-lang="en"' in what
    fill_all(client, token, ANSWERS[1:])
    check = client.get("/report").text
    receipt = send(client, token, hidden(check, "idempotency_key"))
    assert receipt_code(receipt.text) and "Keep this number a secret." in receipt.text
    monkeypatch.setattr(chat, "is_open", lambda moment: True)
    page = client.get("/chat").text
    client.post("/chat/start", data={"_csrf_token": csrf(page), "message": "hi"})
    assert "Please wait here." in client.get("/chat").text
    client.post("/chat/end", data={"_csrf_token": csrf(page)})
    client.post("/chat/new", data={"_csrf_token": csrf(page)})


def test_switching_easy_read_or_language_keeps_the_search(client):
    english(client)
    page = client.get("/info/search", params={"q": "bully"}).text
    link = re.search(r'href="(/easy-read/on\?next=[^"]+)"', page).group(1)
    response = client.get(link.replace("&amp;", "&"), follow_redirects=False)
    assert response.headers["location"] == "/info/search?q=bully"
    assert 'href="/language/sq?next=/info/search%3Fq%3Dbully"' in page
