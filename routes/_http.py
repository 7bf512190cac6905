"""One place for page-vs-fragment, cookies, and the few response shapes every route uses."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from config import get_settings

DRAFT_COOKIE = "rp_draft"
FOLLOWUP_COOKIE = "rp_check"
BROWSER_COOKIE = "rp_browser"
LANGUAGE_COOKIE = "rp_lang"
CHAT_COOKIE = "rp_chat"


def wants_fragment(request: Request) -> bool:
    """htmx swaps get a block; boosted and history-restore requests need the whole page."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def render(request: Request, template: str, block: str | None = None, status_code: int = 200,
           cookies: list[Cookie] | None = None, **context: Any) -> Template:
    """The whole page, or just `block` of it for an htmx swap: one markup for both."""
    headers = {"vary": "HX-Request"}
    if block and wants_fragment(request):
        return HTMXBlockTemplate(template_name=template, block_name=block,
                                 context={**context, "fragment": True}, status_code=status_code,
                                 headers=headers, cookies=cookies or [])
    return Template(template_name=template, context={**context, "fragment": False},
                    status_code=status_code, headers=headers, cookies=cookies or [])


def see_other(path: str, cookies: list[Cookie] | None = None) -> Redirect:
    return Redirect(path, status_code=303, cookies=cookies or [])


def cookie(name: str, value: str, max_age: int | None = None) -> Cookie:
    """HttpOnly, SameSite=Strict; Secure when the site is served over HTTPS."""
    return Cookie(key=name, value=value, max_age=max_age, httponly=True, samesite="strict",
                  secure=get_settings().secure_cookies, path="/")


def expired(name: str) -> Cookie:
    return Cookie(key=name, value="", max_age=0, expires=0, httponly=True, samesite="strict",
                  secure=get_settings().secure_cookies, path="/")


def local_path(candidate: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return default


def empty(status_code: int = 204, **headers: str) -> Response:
    return Response(b"", status_code=status_code, headers=headers)


class FormData:
    """A parsed form that only ever yields strings: a file or odd part becomes ''."""

    def __init__(self, data=None):
        self._data = data

    def get(self, name: str) -> str:
        if self._data is None:
            return ""
        value = self._data.get(name)
        return value if isinstance(value, str) else ""

    def getall(self, name: str) -> list[str]:
        if self._data is None or not hasattr(self._data, "getall"):
            return []
        return [v for v in self._data.getall(name, []) if isinstance(v, str)]


async def read_form(request: Request) -> FormData:
    """The posted form; a body that is not a form reads as an empty one (never a 500)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        await request.body()  # still enforce the body size limit
        return FormData()
    try:
        return FormData(await request.form())
    except (ValueError, LookupError):  # UnicodeDecodeError is a ValueError; bad charset a LookupError
        return FormData()


class FormValues(FormData):
    """A form built in code, for reusing a form's validation on values we already hold."""

    def __init__(self, **values: str):
        super().__init__(values)
