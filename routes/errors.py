"""Every error becomes a page in the reader's language, with the shell and the quick exit."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect

from config import get_settings
from i18n import N_, current_language, language_from_cookies
from i18n import gettext as _
from routes._http import render, wants_fragment

logger = logging.getLogger("raporto")

HEADINGS = {
    400: N_("Something in the request was wrong"),
    403: N_("You cannot open this page"),
    404: N_("Page not found"),
    405: N_("This does not work that way"),
    413: N_("That was too much to send at once"),
    429: N_("Too many tries"),
    500: N_("Sorry, something went wrong on our side"),
    "csrf": N_("This page was open too long"),
}


def _journey_start(path: str) -> str:
    """Where "continue" goes after an error: the start of the journey the request was in."""
    first = path.strip("/").split("/", 1)[0]
    return "/" + first if first in {"report", "check", "staff"} else "/"


def handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotAuthorizedException):  # not signed in (or the session ran out)
        if wants_fragment(request):
            return Response(b"", status_code=200, headers={"HX-Redirect": "/staff/login"})
        return Redirect("/staff/login", status_code=303)
    # Router-level errors (unknown path or method) are raised before the language middleware.
    profile = get_settings().profile
    current_language.set(language_from_cookies(request.headers.get("cookie", ""),
                                               profile.languages, profile.default_language))
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status >= 500:
        logger.exception("unhandled error on %s", request.url.path)  # the path only: no client data
    kind = status if status in HEADINGS else (400 if status < 500 else 500)
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        kind = "csrf"
    response = render(request, "errors/page.html", block="main", status_code=status, kind=kind,
                      title=_(HEADINGS[kind]), errors={}, continue_to=_journey_start(request.url.path))
    if wants_fragment(request):
        response.headers.update({"HX-Retarget": "#main", "HX-Reswap": "innerHTML"})
    return response
