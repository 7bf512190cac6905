"""Installable and offline: the web app manifest, the service worker and the offline page.

The manifest comes from the helpline profile (its discreet mode gives the installed app a
neutral name and icon). /sw.js is rendered from templates/pwa/sw.js with the content-hashed
URLs of the shell, so it changes (and the browser updates it) whenever a static file changes.
"""

from __future__ import annotations

import hashlib
import json

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from config import get_settings
from i18n import current_language, gettext as _
from routes._http import render
from routes.assets import static_url

NO_CACHE = {"cache-control": "no-cache"}  # always revalidated: a new version is seen at once
SHELL = ("app.css", "app.js", "outbox.js", "htmx.min.js", "icons.svg")


def _icons(prefix: str) -> list[dict]:
    return [
        {"src": static_url(f"icons/{prefix}.svg"), "sizes": "any", "type": "image/svg+xml",
         "purpose": "any"},
        {"src": static_url(f"icons/{prefix}-192.png"), "sizes": "192x192", "type": "image/png",
         "purpose": "any"},
        {"src": static_url(f"icons/{prefix}-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "any"},
        {"src": static_url(f"icons/{prefix}-maskable-512.png"), "sizes": "512x512",
         "type": "image/png", "purpose": "maskable"},
    ]


def _discreet() -> dict:
    """The profile's discreet names when discreet mode is on, else {}."""
    profile = get_settings().profile
    return profile.discreet if profile.discreet.get("enabled") else {}


def app_icon() -> str:
    """The icon the pages link to (the neutral one in discreet mode)."""
    return static_url("icons/discreet.svg" if _discreet() else "icons/app.svg")


def theme_color() -> str:
    return "#6b6b6b" if _discreet() else get_settings().profile.theme_color


@get("/manifest.webmanifest", name="pwa.manifest")
async def manifest() -> Response:
    profile = get_settings().profile
    discreet = _discreet()
    body = {
        "id": "/", "start_url": "/", "scope": "/", "display": "standalone",
        "name": discreet.get("name") or profile.name,
        "short_name": discreet.get("short_name") or profile.short_name,
        "lang": profile.default_language,
        "background_color": "#ffffff",
        "theme_color": theme_color(),
        "icons": _icons("discreet" if discreet else "app"),
    }
    return Response(json.dumps(body, ensure_ascii=False).encode(),
                    media_type="application/manifest+json", headers=NO_CACHE)


def _offline_urls() -> dict[str, str]:
    return {code: f"/offline/{code}" for code in get_settings().profile.languages}


@get("/sw.js", name="pwa.worker")
async def worker(request: Request) -> Response:
    profile = get_settings().profile
    prefix = "discreet" if _discreet() else "app"
    shell = ([static_url(name) for name in SHELL] + [app_icon(), static_url(f"icons/{prefix}-192.png")]
             + list(_offline_urls().values()))
    pages = ["/", "/info"]  # pages read later are kept as they are read
    save_data = request.headers.get("save-data", "").lower() == "on"
    version = hashlib.sha256(json.dumps([shell, pages]).encode()).hexdigest()[:12]
    response = render(request, "pwa/sw.js", version=version, shell=shell, pages=pages,
                      offline=_offline_urls(), default_language=profile.default_language,
                      save_data=save_data, outbox=static_url("outbox.js"), errors={})
    response.media_type = "text/javascript"
    response.headers.update({**NO_CACHE, "vary": "Save-Data"})
    return response


@get("/offline/{code:str}", name="pwa.offline")
async def offline(request: Request, code: FromPath[str]) -> Response:
    """What the service worker shows when a page cannot load (precached in each language)."""
    if code not in get_settings().profile.languages:
        raise NotFoundException()
    current_language.set(code)  # for this request (the language middleware restores it after)
    return render(request, "offline.html", title=_("You are offline"), errors={})


ROUTES = [manifest, worker, offline]
