"""The audit log page (issue 3 §4): filters, pagination, labels, and no way to change an entry.

Entries are written straight into the table with actions of their own ("test.…") and dates in
2004, so the session-wide test databases hold nothing else these filters could match.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from db.tables import AuditEntry
from tests import dbutil
from tests.test_stats import signed_in

AUDIT = "/staff/audit"


def add_entries(*entries: dict) -> None:
    dbutil.run(AuditEntry.insert(*(AuditEntry(**{"actor_name": "", "target": "", "detail": "",
                                                 **entry}) for entry in entries)))


def listed(page: str) -> list[list[str]]:
    """The rows of the entries table, as lists of cell texts."""
    body = re.search(r'<table id="audit">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def targets(client, query: str) -> list[str]:
    """The target column of the entries a query lists (or the "no entries" line)."""
    rows = listed(client.get(f"{AUDIT}?{query}").text)
    return [row[3] if len(row) > 3 else row[0] for row in rows]


def link(page: str, text: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="[a-z]+">{text}</a>', page)
    return html.unescape(match.group(1)) if match else None


def test_no_route_can_change_the_audit_log():
    from app import create_app

    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.fn.__module__.startswith("litestar."):
                continue  # Litestar's own automatic OPTIONS answer
            if any("audit" in path for path in handler.paths):
                assert handler.http_methods <= {"GET", "HEAD"}, handler.paths


def test_filters_by_action_who_date_and_target(client, backend):
    user = signed_in(client, backend)
    at = datetime(2004, 5, 6, 10, tzinfo=UTC)  # 12:00 in Tirana (summer time)
    add_entries(
        {"at": at, "action": "test.alpha", "actor": user.id, "actor_name": user.display_name,
         "target": "report:77", "detail": "first"},
        {"at": at + timedelta(days=1), "action": "test.alpha", "target": "Report:78"},
        {"at": at + timedelta(days=2), "action": "test.beta", "actor": user.id,
         "actor_name": user.display_name, "target": "x_y%z"},
        {"at": at + timedelta(days=3), "action": "test.beta", "target": "xayzz"},
    )
    alpha = client.get(f"{AUDIT}?action=test.alpha")
    assert alpha.status_code == 200
    assert listed(alpha.text) == [
        ["07.05.2004 12:00:00", "Nobody signed in", "test.alpha", "Report:78", ""],
        ["06.05.2004 12:00:00", user.display_name, "test.alpha", "report:77", "first"]]
    assert '<option value="test.alpha" selected>test.alpha</option>' in alpha.text
    mine = listed(client.get(f"{AUDIT}?action=test.beta&who={user.id}").text)
    assert [row[3] for row in mine] == ["x_y%z"]
    nobody = listed(client.get(f"{AUDIT}?action=test.beta&who=none").text)
    assert [row[3] for row in nobody] == ["xayzz"]
    days = listed(client.get(f"{AUDIT}?from=07.05.2004&to=2004-05-08").text)
    assert [row[3] for row in days] == ["x_y%z", "Report:78"]
    may = "&from=01.05.2004&to=31.05.2004"
    assert targets(client, f"target=REPORT:7{may}") == ["Report:78", "report:77"]
    # % and _ are plain characters to look for, never wildcards.
    assert targets(client, f"target=_y%25{may}") == ["x_y%z"]
    assert targets(client, f"target=%25%25{may}") == ["No entries match these filters."]


def test_actions_have_readable_labels(client, backend):
    user = signed_in(client, backend)
    page = client.get(f"{AUDIT}?action=signin.success&who={user.id}")
    rows = listed(page.text)
    assert rows and rows[0][1:4] == [user.display_name, "Signed in", f"account:{user.id}"]
    assert '<option value="signin.success" selected>Signed in</option>' in page.text
    assert 'aria-current="page">Audit log' in page.text


def test_pages_of_fifty_newest_first(client, backend):
    signed_in(client, backend)
    start = datetime(2004, 9, 1, tzinfo=UTC)
    add_entries(*({"at": start + timedelta(minutes=i), "action": "test.page", "target": f"n:{i}"}
                  for i in range(120)))
    first = client.get(f"{AUDIT}?action=test.page").text
    assert [row[3] for row in listed(first)] == [f"n:{i}" for i in range(119, 69, -1)]
    assert link(first, "Newer entries") is None
    second = client.get(link(first, "Older entries")).text
    assert [row[3] for row in listed(second)] == [f"n:{i}" for i in range(69, 19, -1)]
    third_url = link(second, "Older entries")
    assert "action=test.page" in third_url
    third = client.get(third_url).text
    assert [row[3] for row in listed(third)] == [f"n:{i}" for i in range(19, -1, -1)]
    assert link(third, "Older entries") is None
    back = client.get(link(third, "Newer entries")).text
    assert [row[3] for row in listed(back)] == [f"n:{i}" for i in range(69, 19, -1)]
    newest = client.get(link(back, "Newer entries")).text
    assert [row[3] for row in listed(newest)] == [f"n:{i}" for i in range(119, 69, -1)]
    assert link(newest, "Newer entries") is None and link(newest, "Older entries")


def test_invalid_dates_are_a_422_page_with_the_error_summary(client, backend):
    signed_in(client, backend)
    for query, field in [("from=30.02.2004", "from"), ("to=someday", "to"),
                         ("from=02.01.2004&to=01.01.2004", "to")]:
        response = client.get(f"{AUDIT}?{query}")
        assert response.status_code == 422, query
        assert '<div class="error-summary"' in response.text
        assert f'<a href="#{field}">' in response.text
        assert '<table id="audit">' not in response.text
    for query in ("before=abc&after=-1&who=x", "who=99999999999", "who=%C2%B2", "before=%C2%B2"):
        assert client.get(f"{AUDIT}?{query}").status_code == 200, query


def test_the_log_cannot_be_changed_over_http(client, backend):
    signed_in(client, backend)
    count = dbutil.run(AuditEntry.count())
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, AUDIT).status_code in (403, 405)
    assert dbutil.run(AuditEntry.count()) == count
