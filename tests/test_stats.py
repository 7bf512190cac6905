"""Statistics and their CSV export (issue 3 §4), on SQLite and PostgreSQL.

The test databases live for the whole session, so the known reports are moved into early 2003,
a period no other test writes into, and every count here is for that period.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime

from db.tables import AuditEntry, Report
from services import stats
from tests import dbutil, journey
from tests.staff_helpers import create_account, sign_in

Q1 = "/staff/stats?from=01.01.2003&to=31.03.2003&group=month"
_accounts: dict[tuple[str, str], object] = {}
_made: set[str] = set()


def account(backend: str, role: str):
    """One account per role and database, made once: hashing a password takes ~0.1 s."""
    if (backend, role) not in _accounts:
        _accounts[backend, role] = create_account(role)
    return _accounts[backend, role]


def signed_in(client, backend: str, role: str = "supervisor"):
    client.follow_redirects = False
    client.cookies.clear()  # signed out of any earlier account
    client.cookies.set("rp_lang", "en")
    user = account(backend, role)
    sign_in(client, user)
    return user


def answers(categories, county="", age="13-15", needs=(), danger="no"):
    steps = [("who", {"about": "me"}), ("what", {"categories": categories}),
             ("danger", {"in_danger": danger}), ("when", {"happened": "days"}),
             ("county", {"county": county})]
    if county:
        steps.append(("municipality", {"municipality": ""}))
    return steps + [("age", {"age_group": age}), ("details", {"details": ""}),
                    ("needs", {"needs": list(needs)}), ("contact", {"contact": "anonymous"})]


# (answers, created at (UTC), changes a counsellor made later)
KNOWN = [
    (answers(["physical", "bullying"], "tirane", needs=["screen_reader"]),
     datetime(2003, 1, 15, 9, tzinfo=UTC), {Report.gender: "girl"}),
    (answers(["bullying"], "tirane"), datetime(2003, 1, 20, 12, tzinfo=UTC),
     {Report.gender: "boy", Report.channel: "chat"}),
    (answers(["selfharm"], age="16-17", needs=["deaf", "simple"]),
     datetime(2003, 2, 3, 8, tzinfo=UTC), {Report.status: "closed"}),
    (answers(["bullying", "online"], "shkoder", age="10-12"),
     datetime(2003, 2, 10, 8, tzinfo=UTC), {Report.status: "open"}),
    (answers(["bullying"], "berat", age="10-12"), datetime(2003, 2, 11, 8, tzinfo=UTC), {}),
    # 23:30 UTC on 28 February is 00:30 on 1 March in Tirana: it counts in March.
    (answers(["bullying", "neglect"], "tirane", danger="yes"),
     datetime(2003, 2, 28, 23, 30, tzinfo=UTC), {}),
]


def known_reports(client, backend: str) -> None:
    """Make the six known reports once per database, as children do, then date them in 2003."""
    if backend in _made:
        return
    client.follow_redirects = True  # the child's journey follows its 303s, as a browser does
    for steps, created_at, changes in KNOWN:
        assert journey.report(client, steps)
        newest = Report.select(Report.id).order_by(Report.id, ascending=False).first()
        report_id = dbutil.run(newest)["id"]
        dbutil.run(Report.update({Report.created_at: created_at, **changes}).where(
            Report.id == report_id))
    client.follow_redirects = False
    _made.add(backend)


def table(page: str, name: str) -> dict[str, int]:
    """A breakdown table of the page as {row heading: count}."""
    body = re.search(rf'<table id="stats-{name}">(.*?)</table>', page, re.S).group(1)
    return {html.unescape(label): int(count) for label, count in
            re.findall(r'<th scope="row">(.*?)</th><td>(\d+)</td>', body)}


def test_counts_of_a_known_set_of_reports(client, backend):
    signed_in(client, backend)
    known_reports(client, backend)
    page = client.get(Q1)
    assert page.status_code == 200
    assert "6 reports from 01.01.2003 to 31.03.2003." in page.text
    assert table(page.text, "period") == {"2003-01": 2, "2003-02": 3, "2003-03": 1}
    assert table(page.text, "chi_category") == {
        "Violence": 5, "Commercial exploitation": 0, "Mental health": 1, "Other": 0}
    subcategories = table(page.text, "chi_subcategory")
    assert subcategories["Violence: Bullying"] == 5
    assert subcategories["Violence: Physical violence"] == 1
    assert subcategories["Violence: Sexual violence"] == 0
    assert subcategories["Mental health: Self-harm and suicidal thoughts"] == 1
    assert sum(subcategories.values()) == 9  # two categories count twice: the page says so
    ages = table(page.text, "age_group")
    assert (ages["13 to 15"], ages["16 or 17"], ages["10 to 12"], ages["7 to 9"]) == (3, 1, 2, 0)
    gender = table(page.text, "gender")
    assert (gender["Girl"], gender["Boy"], gender["Not recorded"]) == (1, 1, 4)
    counties = table(page.text, "county")
    assert (counties["Tiranë"], counties["Shkodër"], counties["Berat"],
            counties["Not given"], counties["Vlorë"]) == (3, 1, 1, 1, 0)
    assert table(page.text, "disability") == {"Child with a disability": 2,
                                              "No disability mentioned": 4}
    assert table(page.text, "urgency") == {"Urgent": 2, "Not urgent": 4}
    assert table(page.text, "status") == {"New": 4, "Open": 1, "Referred": 0, "Closed": 1}
    channels = table(page.text, "channel")
    assert (channels["Website"], channels["Chat"]) == (5, 1)
    assert "counts once under each of them" in page.text


def test_the_period_is_local_days_with_the_end_day_included(client, backend):
    signed_in(client, backend)
    known_reports(client, backend)
    february = client.get("/staff/stats?from=2003-02-01&to=2003-02-28&group=month")
    assert table(february.text, "period") == {"2003-02": 3}
    assert "3 reports from 01.02.2003 to 28.02.2003." in february.text
    march_first = client.get("/staff/stats?from=01.03.2003&to=01.03.2003")
    assert table(march_first.text, "urgency") == {"Urgent": 1, "Not urgent": 0}
    none = client.get("/staff/stats?from=01.01.2002&to=31.12.2002")
    assert "0 reports from" in none.text
    assert "No reports in this period." in none.text


def test_grouping_by_iso_week(client, backend):
    signed_in(client, backend)
    known_reports(client, backend)
    page = client.get("/staff/stats?from=13.01.2003&to=02.03.2003&group=week")
    weeks = table(page.text, "period")
    assert [label[:8] for label in weeks] == [f"2003-W{week:02d}" for week in range(3, 10)]
    assert list(weeks)[0] == "2003-W03 (13.01.2003)"  # a week shows the date of its Monday
    assert list(weeks.values()) == [1, 1, 0, 1, 2, 0, 1]  # 13 January to 2 March
    assert 'value="week" checked' in page.text
    assert "<h2>Reports per week</h2>" in page.text


def test_the_chart_is_an_svg_image_with_a_title_and_a_bar_per_period(client, backend):
    signed_in(client, backend)
    known_reports(client, backend)
    page = client.get(Q1).text
    svg = re.search(r"<svg [^>]*>(.*?)</svg>", page, re.S)
    tag = svg.group(0)[:svg.group(0).index(">")]
    assert 'role="img"' in tag and 'aria-labelledby="chart-title chart-desc"' in tag
    assert '<title id="chart-title">Reports per month, 01.01.2003 – 31.03.2003</title>' in page
    assert "The most reports in a month: 3, in 2003-02." in page
    bars = re.findall(r'<rect [^>]*><title>([^<]+)</title></rect>', svg.group(1))
    assert bars == ["2003-01: 2", "2003-02: 3", "2003-03: 1"]
    assert page.index("</svg>") < page.index('<table id="stats-period">')  # the table follows it
    assert " style=" not in page and "<script>" not in page


def test_the_default_period_is_the_last_twelve_months(client, backend):
    signed_in(client, backend)
    page = client.get("/staff/stats")
    assert page.status_code == 200
    today = stats.today()
    months = today.year * 12 + today.month - 12
    start = date(months // 12, months % 12 + 1, 1)
    assert f'value="{start.strftime("%d.%m.%Y")}"' in page.text
    assert f'value="{today.strftime("%d.%m.%Y")}"' in page.text
    assert len(table(page.text, "period")) == 12
    assert 'aria-current="page">Statistics' in page.text


def test_invalid_dates_give_a_clear_error_and_status_422(client, backend):
    signed_in(client, backend)
    for query, field in [("from=31.02.2003&to=31.03.2003", "from"), ("from=yesterday", "from"),
                         ("from=01.01.2003&to=2003-13-01", "to"),
                         ("from=01.03.2003&to=01.02.2003", "to"),
                         ("from=01.01.0001", "from"), ("from=01.01.2003&to=01.01.2009", "to"),
                         ("from=" + "9" * 5000, "from")]:
        response = client.get(f"/staff/stats?{query}")
        assert response.status_code == 422, query
        assert '<div class="error-summary"' in response.text
        assert f'<a href="#{field}">' in response.text
        assert f'id="{field}-error"' in response.text
        assert "<svg" not in response.text
    assert client.get("/staff/stats.csv?from=31.02.2003").status_code == 422
    client.cookies.set("rp_lang", "sq")  # the default language: the page checks run on it too
    assert client.get(Q1).status_code == 200
    albanian = client.get("/staff/stats?from=31.02.2003")
    assert albanian.status_code == 422 and "<title>Gabim: " in albanian.text


def csv_rows(response) -> dict[tuple[str, str], str]:
    assert response.text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(response.text.lstrip("\ufeff")))
    assert next(reader) == ["breakdown", "key", "count"]
    return {(section, key): count for section, key, count in reader}


def test_csv_export_hides_counts_under_five_and_is_audited(client, backend):
    user = signed_in(client, backend)
    known_reports(client, backend)
    response = client.get(Q1.replace("/staff/stats?", "/staff/stats.csv?"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == (
        'attachment; filename="statistics-2003-01-01-2003-03-31-month.csv"')
    rows = csv_rows(response)
    assert rows["total", "reports"] == "6"
    assert rows["chi_subcategory", "Violence: Bullying"] == "5"
    assert rows["chi_category", "Violence"] == "x"  # protects the lone "<5" of Mental health
    assert rows["chi_subcategory", "Violence: Physical violence"] == "<5"
    assert rows["chi_subcategory", "Violence: Sexual violence"] == "0"
    assert rows["period", "2003-02"] == "<5"
    assert rows["age_group", "13-15"] == "<5"
    assert rows["county", "Tiranë"] == "<5" and rows["county", "Vlorë"] == "0"
    assert rows["gender", "not_recorded"] == "<5" and rows["channel", "web"] == "x"
    assert rows["disability", "yes"] == "<5"
    assert not any(count.isdigit() and 0 < int(count) < 5 for count in rows.values())
    entries = dbutil.rows(AuditEntry, AuditEntry.action == "stats.export",
                          AuditEntry.actor == user.id)
    assert entries and entries[-1]["detail"] == "2003-01-01 – 2003-03-31, month"


def test_only_supervisors_and_admins_see_statistics(client, backend):
    client.follow_redirects = False
    for path in ("/staff/stats", "/staff/stats.csv", "/staff/audit"):
        response = client.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/staff/login")
    signed_in(client, backend, "counsellor")
    for path in ("/staff/stats", "/staff/stats.csv", "/staff/audit"):
        assert client.get(path).status_code == 403
    signed_in(client, backend, "admin")
    assert client.get("/staff/stats").status_code == 200
    assert client.get("/staff/stats.csv").status_code == 200


def test_a_lone_small_cell_is_protected_from_subtraction():
    from services.stats import _cells

    assert _cells([3, 40, 12, 0]) == ["<5", "40", "x", "0"]  # 12 hidden too: 55 - 40 != 3
    assert _cells([3, 2, 40]) == ["<5", "<5", "40"]  # two hidden cells protect each other
    assert _cells([0, 7, 9]) == ["0", "7", "9"]
