"""The home page, the information pages, the language switch and the quick exit."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from config import get_settings
from i18n import gettext as _
from routes._http import (CHAT_COOKIE, DRAFT_COOKIE, FOLLOWUP_COOKIE, LANGUAGE_COOKIE, cookie,
                          expired, local_path, render, see_other, wants_fragment)
from services import chat, drafts, followup

YEAR = 365 * 24 * 3600
INSTALL_COOKIE = "rp_install"
EASY_COOKIE = "rp_easy"


@get("/", name="home")
async def home(request: Request) -> Response:
    return render(request, "home.html", title=_("Are you OK? We are here to help."), errors={},
                  install_hint=request.cookies.get(INSTALL_COOKIE) != "no")


@post("/install/dismiss", name="install.dismiss", status_code=200)
async def dismiss_install(request: Request) -> Response:
    """"No, thanks" to the add-to-home-screen hint: never shown again in this browser."""
    cookies = [cookie(INSTALL_COOKIE, "no", YEAR)]
    return Response(b"", cookies=cookies) if wants_fragment(request) else see_other("/", cookies)


@get("/language/{code:str}", name="language")
async def language(code: FromPath[str], next: FromQuery[str | None] = None) -> Response:
    """A plain link switches language without JS; the journey's draft is untouched."""
    if code not in get_settings().profile.languages:
        raise NotFoundException()
    return see_other(local_path(next), cookies=[cookie(LANGUAGE_COOKIE, code, YEAR)])


_FORGOTTEN = [expired(DRAFT_COOKIE), expired(FOLLOWUP_COOKIE), expired(CHAT_COOKIE)]


async def _forget(request: Request) -> None:
    """An unsent draft and an open follow-up are forgotten, a chat ends; sent reports stay."""
    await drafts.discard(request.cookies.get(DRAFT_COOKIE))
    await followup.close(request.cookies.get(FOLLOWUP_COOKIE))
    if (conversation_id := await chat.conversation_id_for(request.cookies.get(CHAT_COOKIE))):
        await chat.end(conversation_id, "child")


@get("/exit", name="exit")
async def exit_now(request: Request) -> Response:
    """The quick exit without JavaScript: forget, clear the cache, leave for the neutral site."""
    await _forget(request)
    return Redirect(get_settings().profile.neutral_exit_url, status_code=303,
                    headers={"clear-site-data": '"cache"'},
                    cookies=_FORGOTTEN)


@post("/exit/forget", name="exit.forget", status_code=200, exclude_from_csrf=True)
async def exit_forget(request: Request) -> Response:
    """The beacon app.js sends as it leaves; SameSite=Strict cookies keep other sites out."""
    await _forget(request)
    return Response(b"", status_code=204, cookies=_FORGOTTEN)


@get("/healthz", name="healthz", media_type="text/plain")
async def healthz() -> str:
    """For load balancers and uptime checks (and bench/chat_poll.py's plaintext baseline)."""
    return "ok"


@get("/easy-read/{choice:str}", name="easy_read")
async def easy_read(choice: FromPath[str], next: FromQuery[str | None] = None) -> Response:
    """Easy read on or off, remembered in a cookie; a plain link, so it works without JS."""
    if choice not in ("on", "off"):
        raise NotFoundException()
    value = cookie(EASY_COOKIE, "1", YEAR) if choice == "on" else expired(EASY_COOKIE)
    return see_other(local_path(next), cookies=[value])


ROUTES = [home, dismiss_install, language, easy_read, exit_now, exit_forget, healthz]
