"""Administration: accounts, the services directory and canned replies, on SQLite and PostgreSQL.

Every page fetched here also passes the automatic accessibility checks (conftest)."""

from __future__ import annotations

import asyncio
import importlib
import re
from contextlib import contextmanager
from datetime import timedelta
from html import unescape

import pytest
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.sqlite import SQLiteEngine

from app import local_time
from db.tables import Account, AuditEntry, CannedReply, Service, StaffSession
from forms import admin as admin_forms
from services import accounts, directory
from services._db import now
from tests.conftest import use_engine
from tests.dbutil import rows, run
from tests.journey import csrf, h1
from tests.staff_helpers import (LOGIN, PASSWORD, call, create_account, manual, post_login,
                                 sign_in, unique)

ADMIN = "/staff/admin"
HOST = "testserver.local"  # the Litestar test client's host
examples = importlib.import_module("db.piccolo_migrations.raporto_0003_directory_examples")


@pytest.fixture
def client(client):
    return manual(client)


@pytest.fixture
def admin(backend):
    return create_account("admin")


@pytest.fixture
def as_admin(client, admin):
    """A client signed in as an admin, in English; `client.token` is its CSRF token."""
    client.cookies.set("rp_lang", "en", domain=HOST, path="/")
    sign_in(client, admin)
    client.token = csrf(client.get(ADMIN).text)
    return client


def post(client, path: str, **data):
    return client.post(path, data={"_csrf_token": client.token, **data})


def audit(action: str, target: str) -> list[dict]:
    return rows(AuditEntry, AuditEntry.action == action, AuditEntry.target == target)


def summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]* name="{name}" value="([^"]*)"', html)
    return unescape(match.group(1)) if match else ""


def goes_to(response, path: str) -> bool:
    return response.status_code == 303 and response.headers["location"] == path


# One client, several people: each signs in and keeps their own session cookie. (A second app
# instance would share the engine's PostgreSQL pool across event loops.)

def use_session(client, token: str | None) -> None:
    client.cookies.delete("rp_staff")
    if token:
        client.cookies.set("rp_staff", token, domain=HOST, path="/")


@contextmanager
def acting_as(client, token: str | None):
    before = client.cookies.get("rp_staff")
    use_session(client, token)
    try:
        yield client
    finally:
        use_session(client, before)


def session_of(client, account) -> str:
    """Sign `account` in on this client; the client stays who it was."""
    with acting_as(client, None):
        return sign_in(client, account)


# --- pages ----------------------------------------------------------------------------------

def test_the_overview_links_the_three_areas_and_the_pages_open(as_admin):
    home = as_admin.get(ADMIN)
    assert home.status_code == 200 and h1(home.text) == "Administration"
    for path in ("/accounts", "/services", "/replies"):
        assert f'href="{ADMIN}{path}"' in home.text
    for path in ("/accounts", "/accounts/new", "/services", "/services?county=tirane",
                 "/services?county=national", "/services?county=nowhere", "/services/new",
                 "/replies", "/replies?language=en", "/replies/new?language=sq"):
        assert as_admin.get(ADMIN + path).status_code == 200, path
    assert 'aria-current="page"' in home.text  # "Administration" in the staff navigation


def test_unknown_ids_are_404_pages(as_admin):
    for path, data in [("/accounts/999999", {}), ("/accounts/999999/role", {"role": "admin"}),
                       ("/accounts/999999/active", {"active": "1"}),
                       ("/accounts/999999/password", {"password": "Another-Long-Pass-99"}),
                       ("/services/999999", {}), ("/services/999999", service_form()),
                       ("/replies/999999", {}),
                       ("/replies/999999", {"language": "en", "title": "t", "body": "b"}),
                       ("/replies/999999/active", {"active": "0"})]:
        response = post(as_admin, ADMIN + path, **data) if data else as_admin.get(ADMIN + path)
        assert response.status_code == 404, path


# --- accounts -------------------------------------------------------------------------------

def test_an_admin_creates_an_account_that_can_sign_in(as_admin, admin):
    username = unique("Ana.")
    response = post(as_admin, ADMIN + "/accounts", username=f"  {username} ",
                    display_name="Ana Hoxha", role="supervisor", password=PASSWORD)
    (row,) = rows(Account, Account.username == username.lower())
    assert goes_to(response, f"{ADMIN}/accounts/{row['id']}?done=account-created")
    assert row["role"] == "supervisor" and row["active"] and row["display_name"] == "Ana Hoxha"
    page = as_admin.get(response.headers["location"])
    assert 'role="status"' in page.text and h1(page.text) == "Ana Hoxha"
    listing = as_admin.get(ADMIN + "/accounts").text
    assert username.lower() in listing and "Ana Hoxha" in listing
    (entry,) = audit("account.create", f"account:{row['id']}")
    assert entry["actor"] == admin.id
    with acting_as(as_admin, None):
        assert post_login(as_admin, username, PASSWORD).status_code == 303


def test_account_form_errors_are_422_with_the_typed_values_kept(as_admin):
    response = post(as_admin, ADMIN + "/accounts", username="", display_name="Besa <Kola>",
                    role="supervisor", password="short")
    assert response.status_code == 422
    errors = summary(response.text)
    assert 'href="#username"' in errors and 'href="#password"' in errors
    assert value_of(response.text, "display_name") == "Besa <Kola>"
    assert re.search(r'value="supervisor" checked', response.text)
    assert 'value="short"' not in response.text  # a password is never sent back
    taken = post(as_admin, ADMIN + "/accounts", username="Nobody",
                 display_name="x", role="nobody", password=PASSWORD)
    assert taken.status_code == 422 and 'href="#role"' in summary(taken.text)


def test_a_taken_username_is_a_clear_error(as_admin, admin):
    response = post(as_admin, ADMIN + "/accounts", username=admin.username.upper(),
                    display_name="Copy", role="counsellor", password=PASSWORD)
    assert response.status_code == 422
    assert "That username is taken" in summary(response.text)
    assert value_of(response.text, "username") == admin.username.upper()


def test_changing_a_role_takes_effect_at_once_and_is_audited(as_admin, admin):
    counsellor = create_account("counsellor")
    theirs = session_of(as_admin, counsellor)
    with acting_as(as_admin, theirs):
        assert as_admin.get(ADMIN).status_code == 403
    path = f"{ADMIN}/accounts/{counsellor.id}"
    assert goes_to(post(as_admin, path + "/role", role="admin"), path + "?done=role")
    with acting_as(as_admin, theirs):
        assert as_admin.get(ADMIN).status_code == 200  # the same session, now an admin
    (entry,) = audit("account.role", f"account:{counsellor.id}")
    assert entry["actor"] == admin.id and entry["detail"] == "counsellor -> admin"
    bad = post(as_admin, path + "/role", role="root")
    assert bad.status_code == 422 and 'href="#role"' in summary(bad.text)


def test_an_admin_cannot_demote_or_deactivate_themself(as_admin, admin):
    path = f"{ADMIN}/accounts/{admin.id}"
    page = as_admin.get(path).text
    assert "You cannot deactivate your own account" in page and "/role" not in page
    demote = post(as_admin, path + "/role", role="counsellor")
    assert demote.status_code == 422 and 'href="#role"' in summary(demote.text)
    assert "You cannot change your own role" in summary(demote.text)
    leave = post(as_admin, path + "/active", active="0")
    assert leave.status_code == 422 and 'href="#active"' in summary(leave.text)
    (row,) = rows(Account, Account.id == admin.id)
    assert row["role"] == "admin" and row["active"]
    assert as_admin.get(ADMIN).status_code == 200  # still signed in
    assert not audit("account.deactivate", f"account:{admin.id}")


def test_deactivating_ends_every_session_and_blocks_sign_in(as_admin, admin):
    counsellor = create_account("counsellor")
    theirs = [session_of(as_admin, counsellor) for _ in range(2)]  # e.g. two devices
    assert len(rows(StaffSession, StaffSession.account == counsellor.id)) == 2
    path = f"{ADMIN}/accounts/{counsellor.id}"
    assert goes_to(post(as_admin, path + "/active", active="0"), path + "?done=deactivated")
    assert not rows(StaffSession, StaffSession.account == counsellor.id)
    for token in theirs:
        with acting_as(as_admin, token):
            assert goes_to(as_admin.get("/staff/inbox"), LOGIN)
    with acting_as(as_admin, None):
        assert post_login(as_admin, counsellor.username, PASSWORD).status_code == 422
    assert audit("account.deactivate", f"account:{counsellor.id}")[0]["actor"] == admin.id
    assert "Reactivate this account" in as_admin.get(path).text
    assert goes_to(post(as_admin, path + "/active", active="1"), path + "?done=reactivated")
    assert audit("account.reactivate", f"account:{counsellor.id}")
    with acting_as(as_admin, None):
        assert post_login(as_admin, counsellor.username, PASSWORD).status_code == 303


def test_an_admin_resets_a_password(as_admin, admin):
    counsellor = create_account("counsellor")
    theirs = session_of(as_admin, counsellor)
    path = f"{ADMIN}/accounts/{counsellor.id}"
    weak = post(as_admin, path + "/password", password="password1234")
    assert weak.status_code == 422 and 'href="#password"' in summary(weak.text)
    assert 'value="password1234"' not in weak.text
    new = "Ujë-i-Ftohtë-Malit-42"
    assert goes_to(post(as_admin, path + "/password", password=new), path + "?done=password")
    with acting_as(as_admin, theirs):
        assert goes_to(as_admin.get("/staff/inbox"), LOGIN)  # signed out everywhere
    with acting_as(as_admin, None):
        assert post_login(as_admin, counsellor.username, PASSWORD).status_code == 422
        assert post_login(as_admin, counsellor.username, new).status_code == 303
    assert audit("account.password_reset", f"account:{counsellor.id}")[0]["actor"] == admin.id


def test_the_list_shows_roles_sign_ins_and_locks_that_still_hold(as_admin, admin):
    locked, unlocked = create_account("supervisor"), create_account("counsellor")
    run(Account.update({Account.locked_until: now() + timedelta(minutes=10)}).where(
        Account.id == locked.id))
    run(Account.update({Account.locked_until: now() - timedelta(minutes=1)}).where(
        Account.id == unlocked.id))
    listing = as_admin.get(ADMIN + "/accounts").text

    def row(account) -> list[str]:
        found = re.search(rf">{account.username}</a></th>(.*?)</tr>", listing, re.S).group(1)
        return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", found, re.S)]

    assert row(locked)[1:] == ["Supervisor", "Yes", "Never", local_time(
        rows(Account, Account.id == locked.id)[0]["locked_until"])]
    assert row(unlocked)[1:] == ["Counsellor", "Yes", "Never", "–"]  # an expired lock is none
    assert row(admin)[3] != "Never"  # the admin signed in


# --- services directory ---------------------------------------------------------------------

def service_form(**changes) -> dict:
    values = {"name": unique("NJMF test "), "kind": "child_protection", "county": "shkoder",
              "municipality": "vau-i-dejes", "phone": "+355 69 000 0000", "address": "Rruga 1",
              "hours": "E hënë–e premte, 8:00–16:00", "flags": ["active"]}
    return {**values, **changes}


def test_an_admin_adds_and_edits_a_service(as_admin, admin):
    form = service_form()
    response = post(as_admin, ADMIN + "/services", **form)
    assert goes_to(response, ADMIN + "/services?done=service-created")
    (row,) = rows(Service, Service.name == form["name"])
    assert (row["county"], row["municipality"], row["kind"]) == ("shkoder", "vau-i-dejes",
                                                                  "child_protection")
    assert row["active"] and not row["public"] and not row["example"]
    assert audit("service.create", f"service:{row['id']}")[0]["actor"] == admin.id
    assert form["name"] in as_admin.get(ADMIN + "/services?county=shkoder").text
    assert form["name"] not in as_admin.get(ADMIN + "/services?county=tirane").text
    assert form["name"] not in as_admin.get(ADMIN + "/services?county=national").text
    edit = as_admin.get(f"{ADMIN}/services/{row['id']}").text
    assert value_of(edit, "name") == form["name"] and 'value="active" checked' in edit
    changed = service_form(name=form["name"] + " (edited)", county="", municipality="",
                           flags=["public", "active"], phone="")
    assert goes_to(post(as_admin, f"{ADMIN}/services/{row['id']}", **changed),
                   ADMIN + "/services?done=service-saved")
    (row,) = rows(Service, Service.id == row["id"])
    assert row["name"].endswith("(edited)") and row["county"] == "" and row["public"]
    assert audit("service.update", f"service:{row['id']}")[0]["detail"] == row["name"]
    actor = accounts.StaffUser(admin.id, admin.username, admin.display_name, "admin")
    assert call(directory.deactivate_service, row["id"], actor)
    assert not rows(Service, Service.id == row["id"])[0]["active"]
    assert row["id"] not in [s["id"] for s in call(directory.services_for, "", "")]
    assert audit("service.update", f"service:{row['id']}")[-1]["detail"] == "deactivated"


def test_counsellors_get_the_services_of_a_place_most_local_first(as_admin):
    names = {}
    for where, county, town in (("town", "korce", "pogradec"), ("county", "korce", ""),
                                ("neighbour", "korce", "maliq"), ("other", "berat", ""),
                                ("off", "korce", "")):
        names[where] = unique(f"Service {where} ")
        flags = [] if where == "off" else ["active"]
        post(as_admin, ADMIN + "/services",
             **service_form(name=names[where], county=county, municipality=town, flags=flags))
    found = [s["name"] for s in call(directory.services_for, "korce", "pogradec")]
    assert found.index(names["town"]) < found.index(names["county"])
    assert not {names["neighbour"], names["other"], names["off"]} & set(found)
    in_county = [s["name"] for s in call(directory.services_for, "korce", "")]
    assert {names["town"], names["neighbour"], names["county"]} <= set(in_county)
    assert names["other"] not in in_county and names["off"] not in in_county
    national = call(directory.services_for, "", "")
    assert national and all(s["county"] == "" and s["active"] for s in national)
    assert {s["name"] for s in national} <= set(found) & set(in_county)
    assert found[-len(national):] == [s["name"] for s in national]  # national ones last


SERVICE_ERRORS = [
    ({"county": "tirane", "municipality": "shkoder"}, "municipality"),
    ({"county": "atlantis"}, "county"),
    ({"municipality": "atlantis"}, "municipality"),
    ({"name": "  "}, "name"),
    ({"kind": "magic"}, "kind"),
    ({"phone": "call me maybe"}, "phone"),
    ({"hours": "x" * 201}, "hours"),
]


def test_service_errors_are_422_with_the_typed_values_kept(as_admin):
    for changes, field in SERVICE_ERRORS:
        form = service_form(**changes)
        response = post(as_admin, ADMIN + "/services", **form)
        assert response.status_code == 422, changes
        assert f'href="#{field}"' in summary(response.text), changes
        assert value_of(response.text, "name") == " ".join(form["name"].split())
        assert value_of(response.text, "phone") == form["phone"]
        assert "Rruga 1</textarea>" in response.text
        assert not rows(Service, Service.name == form["name"])
    edit = post(as_admin, f"{ADMIN}/services/{rows(Service)[0]['id']}", **service_form(kind=""))
    assert edit.status_code == 422 and 'href="#kind"' in summary(edit.text)


def test_a_municipality_alone_sets_its_county(as_admin):
    form = service_form(county="", municipality="sarande")
    assert post(as_admin, ADMIN + "/services", **form).status_code == 303
    assert rows(Service, Service.name == form["name"])[0]["county"] == "vlore"


# --- canned replies -------------------------------------------------------------------------

def test_an_admin_adds_edits_and_deactivates_a_canned_reply(as_admin, admin):
    title = unique("Mirë se erdhe ")
    response = post(as_admin, ADMIN + "/replies", language="sq", title=title,
                    body="Faleminderit që na shkrove.\nJemi këtu.")
    assert goes_to(response, ADMIN + "/replies?done=reply-created")
    (row,) = rows(CannedReply, CannedReply.title == title)
    assert row["body"] == "Faleminderit që na shkrove.\nJemi këtu." and row["active"]
    assert audit("canned.create", f"canned:{row['id']}")[0]["actor"] == admin.id
    assert title in as_admin.get(ADMIN + "/replies?language=sq").text
    assert title not in as_admin.get(ADMIN + "/replies?language=en").text
    assert title in [r["title"] for r in call(directory.canned_replies, "sq")]
    edited = post(as_admin, f"{ADMIN}/replies/{row['id']}", language="en", title=title,
                  body="Thank you.")
    assert goes_to(edited, ADMIN + "/replies?done=reply-saved")
    assert audit("canned.update", f"canned:{row['id']}")
    assert title in [r["title"] for r in call(directory.canned_replies, "en")]
    off = post(as_admin, f"{ADMIN}/replies/{row['id']}/active", active="0")
    assert goes_to(off, ADMIN + "/replies?done=reply-deactivated")
    assert not rows(CannedReply, CannedReply.id == row["id"])[0]["active"]
    assert title not in [r["title"] for r in call(directory.canned_replies, "en")]
    assert [e["detail"] for e in audit("canned.update", f"canned:{row['id']}")] == [
        title, "deactivated"]


def test_canned_reply_errors_are_422_with_the_typed_values_kept(as_admin):
    for changes, field in [({"body": "a" * 2001}, "body"), ({"body": " \n "}, "body"),
                           ({"title": ""}, "title"), ({"language": "fr"}, "language")]:
        form = {"language": "en", "title": "Kept title", "body": "Kept body", **changes}
        response = post(as_admin, ADMIN + "/replies", **form)
        assert response.status_code == 422 and f'href="#{field}"' in summary(response.text)
        assert value_of(response.text, "title") == form["title"]
        assert f">{form['body'].strip()}</textarea>" in response.text
    canned_id = rows(CannedReply)[0]["id"]
    edit = post(as_admin, f"{ADMIN}/replies/{canned_id}", language="en", title="", body="b")
    assert edit.status_code == 422 and 'href="#title"' in summary(edit.text)


def test_a_body_of_exactly_2000_characters_is_accepted(as_admin):
    title = unique("Long ")
    assert post(as_admin, ADMIN + "/replies", language="en", title=title,
                body="a" * 2000).status_code == 303


# --- who may do it --------------------------------------------------------------------------

def admin_routes(account_id: int, service_id: int, canned_id: int) -> list[tuple[str, str]]:
    gets = ["", "/accounts", "/accounts/new", f"/accounts/{account_id}", "/services",
            "/services/new", f"/services/{service_id}", "/replies", "/replies/new",
            f"/replies/{canned_id}"]
    posts = ["/accounts", f"/accounts/{account_id}/role", f"/accounts/{account_id}/password",
             f"/accounts/{account_id}/active", "/services", f"/services/{service_id}",
             "/replies", f"/replies/{canned_id}", f"/replies/{canned_id}/active"]
    return [("GET", ADMIN + p) for p in gets] + [("POST", ADMIN + p) for p in posts]


def test_only_admins_may_open_or_change_anything(client):
    counsellor, supervisor = create_account("counsellor"), create_account("supervisor")
    service_id = rows(Service)[0]["id"]
    canned_id = rows(CannedReply)[0]["id"]
    routes = admin_routes(counsellor.id, service_id, canned_id)
    token = csrf(client.get(LOGIN).text)  # a valid CSRF token: only the role is missing
    data = {"_csrf_token": token, "role": "admin", "active": "0", "language": "en",
            "title": "t", "body": "b", "name": "n", "kind": "police",
            "password": "Another-Long-Pass-99", "username": unique("x"), "display_name": "x"}
    sessions = {"anonymous": None, **{a.role: session_of(client, a)
                                      for a in (counsellor, supervisor)}}
    for who, session in sessions.items():
        with acting_as(client, session):
            for method, path in routes:
                response = client.request(method, path,
                                          data=data if method == "POST" else None)
                if who == "anonymous":
                    assert goes_to(response, LOGIN), (who, method, path, response.status_code)
                else:
                    assert response.status_code == 403, (who, method, path)
    assert rows(Account, Account.id == counsellor.id)[0]["role"] == "counsellor"
    assert rows(Account, Account.id == counsellor.id)[0]["active"]


def test_admin_posts_without_a_csrf_token_are_refused(as_admin, admin):
    counsellor = create_account("counsellor")
    response = as_admin.post(f"{ADMIN}/accounts/{counsellor.id}/active", data={"active": "0"})
    assert response.status_code == 403
    assert rows(Account, Account.id == counsellor.id)[0]["active"]


def test_the_form_offers_the_roles_the_service_knows():
    assert tuple(admin_forms.ROLES) == accounts.ROLES


# --- the example data -----------------------------------------------------------------------

def check_examples(services: list[dict], replies: list[dict]) -> None:
    by_name = {s["name"]: s for s in services}
    for name, kind, county, municipality in examples.SERVICES:
        service = by_name[name]
        assert name.startswith("Shembull / Example: ")
        assert service["example"] and not service["public"]
        assert service["phone"] == service["address"] == ""  # never invented
        assert (service["kind"], service["county"], service["municipality"]) == (
            kind, county, municipality)
    for language, expected in examples.CANNED.items():
        titles = {r["title"] for r in replies if r["language"] == language}
        assert {title for title, _ in expected} <= titles
        assert len(expected) == 6


def test_the_migration_adds_marked_examples(backend):
    check_examples(rows(Service), rows(CannedReply))


def test_the_example_places_are_in_the_profile():
    from config import get_settings

    profile = get_settings().profile
    for _name, _kind, county, town in examples.SERVICES:
        assert county == "" or town in {m.id for m in profile.county(county).municipalities}


def test_a_fresh_sqlite_file_migrates_with_the_examples(engines, tmp_path):
    made, _ = engines
    fresh = SQLiteEngine(path=str(tmp_path / "fresh.sqlite3"), timeout=30)
    use_engine(fresh)
    try:
        assert asyncio.run(run_forwards("all")).success
        check_examples(rows(Service), rows(CannedReply))
        assert len(rows(Service)) == len(examples.SERVICES)
    finally:
        use_engine(made["sqlite"])
