"""The information library: pages in each language, their versions, publishing, search.

A page (slug + language) has versions; every save adds one, a restore copies an old one
forward, and at most one is published. The public only ever reads published versions; drafts
never reach a list, a search or a page. Bodies are Markdown rendered with raw HTML off, links
limited to the app's own paths and tel: numbers (services/markdown.py).

Search uses each database's own full-text search over the published versions: SQLite FTS5
(`info_search`, unicode61 tokenizer with diacritics removed) and PostgreSQL (`search` tsvector,
"simple" configuration). Both index folded text (services/_text.py), so "femije" finds
"fëmijë" and "cfare" finds "çfarë" whatever the database's extensions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from db.tables import InfoPage, InfoPageVersion
from i18n import N_
from services import audit
from services._db import now, write_transaction
from services._text import fold, words
from services.markdown import plain_text, render

AUDIENCES = {"children": N_("Children and young people"), "adults": N_("Parents and other adults"),
             "both": N_("Everyone")}
TOPICS = {"abuse": N_("Violence and abuse"), "bullying": N_("Bullying"),
          "online": N_("Online safety"), "rights": N_("Your rights"),
          "feelings": N_("Feelings"), "getting-help": N_("Getting help")}
FIELDS = ("audience", "topic", "title", "summary", "body", "easy_read", "refs", "reviewed")


class LibraryError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message  # a msgid


@dataclass(frozen=True)
class Page:
    page_id: int
    version_id: int
    number: int
    slug: str
    language: str
    audience: str
    topic: str
    title: str
    summary: str
    body: str
    easy_read: str
    refs: list
    reviewed: date | None
    published: bool

    @property
    def body_html(self) -> str:
        return render(self.body)

    @property
    def easy_html(self) -> str:
        return render(self.easy_read) if self.easy_read else ""


_COLUMNS = (InfoPageVersion.id, InfoPageVersion.number, InfoPageVersion.audience,
            InfoPageVersion.topic, InfoPageVersion.title, InfoPageVersion.summary,
            InfoPageVersion.body, InfoPageVersion.easy_read, InfoPageVersion.refs,
            InfoPageVersion.reviewed, InfoPageVersion.published,
            InfoPageVersion.page.id.as_alias("page_id"), InfoPageVersion.page.slug.as_alias("slug"),
            InfoPageVersion.page.language.as_alias("language"))


def _page(row: dict) -> Page:
    return Page(row["page_id"], row["id"], row["number"], row["slug"], row["language"],
                row["audience"], row["topic"], row["title"], row["summary"], row["body"],
                row["easy_read"], json.loads(row["refs"] or "[]"), row["reviewed"],
                bool(row["published"]))


# --- what the public reads ---------------------------------------------------------------------

async def published(slug: str, language: str) -> Page | None:
    row = await InfoPageVersion.select(*_COLUMNS).where(
        (InfoPageVersion.page.slug == slug) & (InfoPageVersion.page.language == language)
        & (InfoPageVersion.published == True)).first()  # noqa: E712
    return _page(row) if row else None


async def listing(language: str, audience: str = "", topic: str = "") -> list[Page]:
    """Published pages in one language, by title; `audience` "children" includes "both"."""
    query = InfoPageVersion.select(*_COLUMNS).where(
        (InfoPageVersion.page.language == language)
        & (InfoPageVersion.published == True))  # noqa: E712
    if audience in AUDIENCES:
        query = query.where(InfoPageVersion.audience.is_in([audience, "both"]))
    if topic in TOPICS:
        query = query.where(InfoPageVersion.topic == topic)
    return [_page(r) for r in await query.order_by(InfoPageVersion.title)]


async def search(language: str, query: str) -> list[Page]:
    """Published pages in `language` holding every word of `query` (prefixes count), best first."""
    terms = words(query)[:8]  # folded words only: search syntax never reaches the database
    if not terms:
        return []
    engine = InfoPage._meta.db
    if engine.engine_type == "postgres":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        rows = await InfoPage.raw(
            "SELECT v.id FROM info_page_version v JOIN info_page p ON p.id = v.page "
            "WHERE v.published AND p.language = {} AND v.search @@ to_tsquery('simple', {}) "
            "ORDER BY ts_rank(v.search, to_tsquery('simple', {})) DESC, v.title LIMIT 50",
            language, tsquery, tsquery)
    else:
        match = " ".join(f'"{t}"*' for t in terms)
        rows = await InfoPage.raw(
            "SELECT version_id AS id FROM info_search WHERE info_search MATCH {} "
            "AND language = {} ORDER BY bm25(info_search) LIMIT 50", match, language)
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    found = {r["id"]: _page(r) for r in await InfoPageVersion.select(*_COLUMNS).where(
        InfoPageVersion.id.is_in(ids) & (InfoPageVersion.published == True))}  # noqa: E712
    return [found[i] for i in ids if i in found]


def _index_text(fields: dict) -> str:
    return fold(" ".join((fields["title"], fields["summary"], plain_text(fields["body"]),
                          plain_text(fields.get("easy_read") or ""))))


async def _reindex(page_id: int, language: str, version_id: int | None, fields: dict | None):
    """The search index holds the page's published version, or nothing."""
    engine = InfoPage._meta.db
    if engine.engine_type == "postgres":
        await InfoPage.raw("UPDATE info_page_version SET search = NULL WHERE page = {}", page_id)
        if version_id is not None:
            await InfoPage.raw("UPDATE info_page_version SET search = to_tsvector('simple', {}) "
                               "WHERE id = {}", _index_text(fields), version_id)
        return
    await InfoPage.raw("DELETE FROM info_search WHERE version_id IN "
                       "(SELECT id FROM info_page_version WHERE page = {})", page_id)
    if version_id is not None:
        await InfoPage.raw("INSERT INTO info_search (version_id, language, text) "
                           "VALUES ({}, {}, {})", version_id, language, _index_text(fields))


# --- editing (supervisors and admins) ----------------------------------------------------------

async def all_pages() -> list[dict]:
    """Every page with its latest version and whether (and which) one is published."""
    pages = await InfoPage.select().order_by(InfoPage.slug).order_by(InfoPage.language)
    versions = await InfoPageVersion.select(
        InfoPageVersion.page, InfoPageVersion.number, InfoPageVersion.title,
        InfoPageVersion.published, InfoPageVersion.created_at)
    latest: dict[int, dict] = {}
    live: dict[int, int] = {}
    for v in versions:
        if v["page"] not in latest or v["number"] > latest[v["page"]]["number"]:
            latest[v["page"]] = v
        if v["published"]:
            live[v["page"]] = v["number"]
    return [{**p, "title": latest[p["id"]]["title"], "latest": latest[p["id"]]["number"],
             "updated_at": latest[p["id"]]["created_at"], "published": live.get(p["id"])}
            for p in pages if p["id"] in latest]


async def version(page_id: int, number: int | None = None) -> Page | None:
    """A page's version by number (the latest when None), drafts included."""
    query = InfoPageVersion.select(*_COLUMNS).where(InfoPageVersion.page == page_id)
    if number is not None:
        query = query.where(InfoPageVersion.number == number)
    row = await query.order_by(InfoPageVersion.number, ascending=False).first()
    return _page(row) if row else None


async def history(page_id: int) -> list[dict]:
    return await InfoPageVersion.select(
        InfoPageVersion.number, InfoPageVersion.title, InfoPageVersion.published,
        InfoPageVersion.created_at, InfoPageVersion.created_by.display_name.as_alias("author"),
    ).where(InfoPageVersion.page == page_id).order_by(InfoPageVersion.number, ascending=False)


async def _add_version(page_id: int, fields: dict, user, publish: bool) -> int:
    """Inside a write transaction: the next version; published (and indexed) when asked."""
    last = await InfoPageVersion.select(InfoPageVersion.number).where(
        InfoPageVersion.page == page_id).order_by(InfoPageVersion.number, ascending=False).first()
    number = (last["number"] if last else 0) + 1
    values = {name: fields[name] for name in FIELDS}
    values["refs"] = json.dumps(values["refs"], ensure_ascii=False)
    row = InfoPageVersion(page=page_id, number=number, published=False, created_at=now(),
                          created_by=user.id if user else None, **values)
    await row.save()
    if publish:
        await _publish(page_id, row.id, fields)
    return number


async def _publish(page_id: int, version_id: int, fields: dict) -> None:
    await InfoPageVersion.update({InfoPageVersion.published: False}).where(
        InfoPageVersion.page == page_id)
    await InfoPageVersion.update({InfoPageVersion.published: True}).where(
        InfoPageVersion.id == version_id)
    language = (await InfoPage.select(InfoPage.language).where(
        InfoPage.id == page_id).first())["language"]
    await _reindex(page_id, language, version_id, fields)


async def create(slug: str, language: str, fields: dict, user, publish: bool = False) -> int:
    """A new page (slug + language must be free). Returns its id."""
    async with write_transaction():
        if await InfoPage.exists().where((InfoPage.slug == slug) & (InfoPage.language == language)):
            raise LibraryError(N_("A page with this address already exists in this language."))
        page = InfoPage(slug=slug, language=language, created_at=now())
        await page.save()
        await _add_version(page.id, fields, user, publish)
        if user is not None:
            await audit.record(user, "library.create", f"page:{page.id}", f"{language}/{slug}")
    return page.id


async def save(page_id: int, fields: dict, user, publish: bool) -> int:
    """A new version of a page; published at once when `publish`. Returns its number."""
    async with write_transaction():
        number = await _add_version(page_id, fields, user, publish)
        await audit.record(user, "library.publish" if publish else "library.save",
                           f"page:{page_id}", f"version {number}")
    return number


async def publish(page_id: int, number: int, user) -> None:
    """Publish an existing version (e.g. a draft that was previewed)."""
    chosen = await version(page_id, number)
    if chosen is None:
        raise LibraryError(N_("This version does not exist."))
    async with write_transaction():
        await _publish(page_id, chosen.version_id, chosen.__dict__)
        await audit.record(user, "library.publish", f"page:{page_id}", f"version {number}")


async def unpublish(page_id: int, user) -> None:
    async with write_transaction():
        await InfoPageVersion.update({InfoPageVersion.published: False}).where(
            InfoPageVersion.page == page_id)
        await _reindex(page_id, "", None, None)
        await audit.record(user, "library.unpublish", f"page:{page_id}")


async def restore(page_id: int, number: int, user) -> int:
    """Copy an old version forward as the newest draft (nothing is lost; publish it after)."""
    old = await version(page_id, number)
    if old is None:
        raise LibraryError(N_("This version does not exist."))
    async with write_transaction():
        new_number = await _add_version(page_id, old.__dict__, user, publish=False)
        await audit.record(user, "library.restore", f"page:{page_id}",
                           f"version {number} -> {new_number}")
    return new_number


# --- the content shipped with the app ----------------------------------------------------------

def read_file(path: Path) -> tuple[str, dict]:
    """(slug, fields) of one content/library/<lang>/<slug>.md file."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    return meta["slug"], {
        "audience": meta["audience"], "topic": meta["topic"], "title": meta["title"],
        "summary": meta["summary"], "body": body.strip() + "\n",
        "easy_read": (meta.get("easy_read") or "").strip(), "refs": meta.get("references") or [],
        "reviewed": meta.get("reviewed")}


async def import_folder(folder: Path) -> int:
    """Add every page of content/library/ that the library lacks, published. Returns how many."""
    added = 0
    for path in sorted(folder.glob("*/*.md")):
        language = path.parent.name
        slug, fields = read_file(path)
        if not await InfoPage.exists().where((InfoPage.slug == slug)
                                             & (InfoPage.language == language)):
            await create(slug, language, fields, None, publish=True)
            added += 1
    return added
