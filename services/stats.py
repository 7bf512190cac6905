"""What supervisors read: report statistics for a period, their CSV export, and the audit log.

Periods are local dates (the helpline's time zone), the end day included. The breakdowns are
counted by one GROUP BY in SQL. Weeks (ISO) and months (YYYY-MM) are worked out here in Python,
because SQLite and PostgreSQL differ in date functions, and the database only groups reports
between their start instants. Both queries read one snapshot: every table counts the same reports.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.functions.aggregate import Count
from piccolo.querystring import QueryString

import vocabulary as v
from config import get_settings
from db.tables import Report
from i18n import N_, gettext
from services import audit
from services._db import day_start as _instant
from services._db import local_zone, now, write_transaction

GROUPS = ("week", "month")
MAX_DAYS = 5 * 366
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
DISABILITY_NEEDS = frozenset({"screen_reader", "deaf", "sign"})  # CHI "child with disability"
SUPPRESS_BELOW = 5  # CSV counts from 1 to 4 are written "<5": too few to publish safely
CHANNELS = {"web": N_("Website"), "chat": N_("Chat"), "phone": N_("Phone call")}
BAD_START = N_("Enter the start date as a real date, for example 31.03.2026")
BAD_END = N_("Enter the end date as a real date, for example 31.03.2026")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included
    group: str = "month"  # week | month

    def bounds(self) -> tuple[datetime, datetime]:
        """UTC instants from local midnight of the start to local midnight after the end."""
        return _instant(self.start), _instant(self.end + timedelta(days=1))


@dataclass(frozen=True)
class Row:
    key: str  # stable, for the CSV
    label: str  # what the page shows
    count: int
    msgid: bool = True  # False for names that are never translated (CHI, places, raw values)


@dataclass(frozen=True)
class Breakdown:
    name: str  # stable id: the CSV section and the table's id
    title: str  # msgid of the table's caption
    heading: str  # msgid of its first column
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Stats:
    period: Period
    total: int
    series: Breakdown
    breakdowns: tuple[Breakdown, ...]


def today() -> date:
    return now().astimezone(local_zone()).date()


def parse_date(text: str) -> date | None:
    """A date typed as 31.03.2026 or 2026-03-31; None when it is not a real date."""
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text.strip()[:20], pattern).date()
        except ValueError:
            continue
        return day if EARLIEST <= day <= LATEST else None
    return None


def parse_range(start_text: str, end_text: str) -> tuple[date | None, date | None, dict[str, str]]:
    """Two optional dates from a form, and errors keyed by field id ("from", "to")."""
    start, end, errors = parse_date(start_text), parse_date(end_text), {}
    if start_text.strip() and start is None:
        errors["from"] = BAD_START
    if end_text.strip() and end is None:
        errors["to"] = BAD_END
    if start and end and end < start:
        errors["to"] = N_("The end date must be the same as the start date or after it")
    return start, end, errors


def parse_period(start_text: str, end_text: str,
                 group: str) -> tuple[Period | None, dict[str, str]]:
    """The period asked for; an empty date means the last 12 months (this month included)."""
    start, end, errors = parse_range(start_text, end_text)
    last = today()
    end = end or (None if end_text.strip() else last)
    months = last.year * 12 + last.month - 12  # the first day of the month 11 months ago
    start = start or (None if start_text.strip() else date(months // 12, months % 12 + 1, 1))
    if not errors and start > end:
        errors["from"] = N_("The start date must be before the end date")
    elif not errors and (end - start).days >= MAX_DAYS:
        errors["to"] = N_("Choose a period of 5 years or less")
    if errors:
        return None, errors
    return Period(start, end, group if group in GROUPS else "month"), {}


def period_key(day: date, group: str) -> str:
    """ISO week (2026-W09) or month (2026-03) of a local date."""
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_keys(period: Period) -> dict[str, date]:
    """Every week or month the period touches, in order, with its first day inside the period."""
    keys, day = {}, period.start
    while day <= period.end:
        keys.setdefault(period_key(day, period.group), day)
        day += timedelta(days=1)
    return keys


def _period_label(key: str) -> str:
    """A month as it is; a week with the date of its Monday, since few know week numbers."""
    if "-W" not in key:
        return key
    monday = date.fromisocalendar(int(key[:4]), int(key[-2:]), 1)
    return f"{key} ({monday.strftime('%d.%m.%Y')})"


def _chi(category_id: str) -> tuple[str, str]:
    found = v.by_id(v.CATEGORIES, category_id)
    return (found.chi_category, found.chi_subcategory) if found else (category_id, category_id)


def _tally(groups: list[dict]) -> dict[str, Counter]:
    """Counts per breakdown from GROUP BY rows; a report counts once under each category."""
    tallies = {name: Counter() for name in _KNOWN}
    for group in groups:
        count = group["count"]
        chi = {_chi(c) for c in group["categories"].split(",") if c}
        for category in {category for category, _ in chi}:
            tallies["chi_category"][category] += count
        for category, subcategory in chi:
            tallies["chi_subcategory"][f"{category}: {subcategory}"] += count
        for name in ("age_group", "gender", "county", "channel", "status"):
            tallies[name][group[name]] += count
        tallies["urgency"]["urgent" if group["urgent"] else "not_urgent"] += count
        disabled = set(group["needs"].split(",")) & DISABILITY_NEEDS
        tallies["disability"]["yes" if disabled else "no"] += count
    return tallies


def _bucket(keys: dict[str, date]) -> QueryString:
    """A report's week or month as an index: plain SQL, a CASE over their start instants."""
    edges = [_instant(first) for first in list(keys.values())[1:]]
    whens = " ".join(f"WHEN created_at < {{}} THEN {i}" for i in range(len(edges)))
    sql = f"CASE {whens} ELSE {len(edges)} END" if edges else "0"
    return QueryString(sql, *edges, alias="bucket")


@asynccontextmanager
async def _snapshot():
    """One read transaction, so that every query sees the same reports."""
    engine = Report._meta.db
    async with engine.transaction():
        if not isinstance(engine, SQLiteEngine):  # a SQLite transaction reads one snapshot anyway
            await Report.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _known_rows() -> dict[str, list[tuple[str, str, str, bool]]]:
    """Per breakdown, the values shown even at zero: (stored value, CSV key, label, msgid?)."""
    categories = dict.fromkeys(c.chi_category for c in v.CATEGORIES)
    subcategories = {f"{c.chi_category}: {c.chi_subcategory}": v.chi_names(c.id, gettext)[0]
                     for c in v.CATEGORIES}  # English CSV keys, labels in the reader's language
    counties = [(c.id, c.name, c.name, False) for c in get_settings().profile.counties]
    return {
        "chi_category": [(name, name, name, True) for name in categories],
        "chi_subcategory": [(name, name, label, False) for name, label in subcategories.items()],
        "age_group": [(a.id, a.id, a.label, True) for a in v.AGE_GROUPS],
        "gender": [*((k, k, label, True) for k, label in v.GENDERS.items()),
                   ("", "not_recorded", N_("Not recorded"), True)],
        "county": [*counties, ("", "not_given", N_("Not given"), True)],
        "channel": [(k, k, label, True) for k, label in CHANNELS.items()],
        "status": [(k, k, label, True) for k, label in v.STAFF_STATUSES.items()],
        "urgency": [("urgent", "urgent", N_("Urgent"), True),
                    ("not_urgent", "not_urgent", N_("Not urgent"), True)],
        "disability": [("yes", "yes", N_("Child with a disability"), True),
                       ("no", "no", N_("No disability mentioned"), True)],
    }


# Each breakdown's table: (caption, first column heading), in the order the page shows them.
_KNOWN = {
    "chi_category": (N_("Reports by CHI category"), N_("CHI category")),
    "chi_subcategory": (N_("Reports by CHI subcategory"), N_("CHI category: subcategory")),
    "age_group": (N_("Reports by age group"), N_("Age group")),
    "gender": (N_("Reports by gender"), N_("Gender")),
    "county": (N_("Reports by county"), N_("County")),
    "disability": (N_("Children with a disability"), N_("Disability")),
    "urgency": (N_("Reports by urgency"), N_("Urgency")),
    "status": (N_("Reports by status"), N_("Status")),
    "channel": (N_("Reports by channel"), N_("Channel")),
    "period": (N_("Reports per period"), N_("Period")),
}


def _breakdown(name: str, known: list[tuple[str, str, str, bool]], tally: Counter) -> Breakdown:
    """Known values first (zeros included), then any other stored value as it is."""
    rows = [Row(key, label, tally.get(value, 0), msgid) for value, key, label, msgid in known]
    seen = {value for value, *_ in known}
    rows += [Row(str(value) or "(empty)", str(value) or "(empty)", count, False)
             for value, count in sorted(tally.items(), key=lambda item: str(item[0]))
             if value not in seen]
    return Breakdown(name, *_KNOWN[name], tuple(rows))


async def compute(period: Period) -> Stats:
    """Every breakdown of the reports made during the period."""
    start, end = period.bounds()
    within = (Report.created_at >= start) & (Report.created_at < end)
    columns = (Report.categories, Report.age_group, Report.gender, Report.county, Report.channel,
               Report.status, Report.urgent, Report.needs)
    keys = period_keys(period)
    async with _snapshot():
        groups = await Report.select(*columns, Count()).where(within).group_by(*columns)
        buckets = await Report.select(_bucket(keys), Count()).where(within).group_by(
            QueryString("bucket"))
    names = list(keys)
    tallies = _tally(groups)
    tallies["period"] = Counter({names[b["bucket"]]: b["count"] for b in buckets})
    known = _known_rows()
    known["period"] = [(key, key, _period_label(key), False) for key in keys]
    breakdowns = {name: _breakdown(name, known[name], tallies[name]) for name in _KNOWN}
    series = breakdowns.pop("period")
    return Stats(period, sum(b["count"] for b in buckets), series, tuple(breakdowns.values()))


def _suppressed(count: int) -> str:
    return f"<{SUPPRESS_BELOW}" if 0 < count < SUPPRESS_BELOW else str(count)


def _cells(counts: list[int]) -> list[str]:
    """Counts of one breakdown for publication: 1-4 become "<5"; when only one cell is hidden,
    the smallest other count is hidden too ("x"), so the total cannot give it away."""
    cells = [_suppressed(count) for count in counts]
    hidden = [i for i, count in enumerate(counts) if 0 < count < SUPPRESS_BELOW]
    shown = [i for i, count in enumerate(counts) if count >= SUPPRESS_BELOW]
    if len(hidden) == 1 and shown:
        cells[min(shown, key=counts.__getitem__)] = "x"
    return cells


def _cell(text: str) -> str:
    """A spreadsheet must never read a key as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(stats: Stats) -> str:
    """Rows of (breakdown, key, count), with a byte-order mark so spreadsheets read ë and ç."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("breakdown", "key", "count"))
    writer.writerow(("total", "reports", _suppressed(stats.total)))
    for breakdown in (stats.series, *stats.breakdowns):
        cells = _cells([row.count for row in breakdown.rows])
        writer.writerows((breakdown.name, _cell(row.key), cell)
                         for row, cell in zip(breakdown.rows, cells, strict=True))
    return "\ufeff" + out.getvalue()


async def export(period: Period, actor: audit.Actor) -> str:
    """The period's statistics as CSV; the export is written to the audit log."""
    text = to_csv(await compute(period))
    async with write_transaction():
        await audit.record(actor, "stats.export", "stats",
                           f"{period.start.isoformat()} – {period.end.isoformat()}, {period.group}")
    return text
