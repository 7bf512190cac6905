"""The information library, public side: browse by audience and topic, search, read a page.

Everything is a plain GET that works without JavaScript; with htmx the search box updates the
results block as the reader types (debounced) and announces how many were found.
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from i18n import current_language, easy_read, gettext as _
from routes._http import render
from services import library

# Addresses of the pages that came before the library: kept working.
MOVED = {"staying-safe-online": "online-safety"}
MAX_QUERY = 100


def _filters(request: Request) -> tuple[str, str]:
    audience = request.query_params.get("audience", "")
    topic = request.query_params.get("topic", "")
    return (audience if audience in library.AUDIENCES else "",
            topic if topic in library.TOPICS else "")


@get("/info", name="info.index")
async def index(request: Request) -> Response:
    audience, topic = _filters(request)
    pages = await library.listing(current_language.get(), audience, topic)
    if audience and topic:
        title = _("%(audience)s: %(topic)s", audience=_(library.AUDIENCES[audience]),
                  topic=_(library.TOPICS[topic]))
    elif audience or topic:
        title = _(library.AUDIENCES[audience]) if audience else _(library.TOPICS[topic])
    else:
        title = _("Information and help")
    return render(request, "info/index.html", title=title, pages=pages, audience=audience,
                  topic=topic, audiences=library.AUDIENCES, topics=library.TOPICS, errors={})


@get("/info/search", name="info.search")
async def search(request: Request) -> Response:
    query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]
    results = await library.search(current_language.get(), query) if query else []
    title = (_("Search results for “%(query)s”", query=query) if query
             else _("Search the information pages"))
    return render(request, "info/search.html", block="results", title=title, query=query,
                  results=results, errors={})


@get("/info/{slug:str}", name="info.page")
async def page(request: Request, slug: FromPath[str]) -> Response:
    if slug in MOVED:
        return Redirect(f"/info/{MOVED[slug]}", status_code=301)
    found = await library.published(slug, current_language.get())
    if found is None:
        raise NotFoundException()
    full = request.query_params.get("full") == "1"
    return render(request, "info/page.html", title=found.title, page=found,
                  easy=easy_read.get() and bool(found.easy_read) and not full,
                  audiences=library.AUDIENCES, topics=library.TOPICS, errors={})


ROUTES = [index, search, page]
