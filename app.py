"""Raporto: create_app() builds the Litestar app; `python app.py migrate|serve` runs it."""

from __future__ import annotations

import asyncio
import logging
import sys
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.logging import LoggingConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from piccolo.engine.sqlite import SQLiteEngine

import i18n
import vocabulary
from services import live
from config import BASE_DIR, get_settings
from routes import (admin, admin_directory, assets, case, chat, chat_staff, errors, followup,
                    info, inbox, library_staff, pages, pwa, report, staff,
                    supervisor)
from routes import help as help_pages

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")


async def security_headers(message: Message, scope: Scope) -> None:
    """On every response, static files and error pages included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    if "cache-control" not in headers:
        headers["cache-control"] = "no-store"  # nothing of a journey may stay in any cache
    if message["status"] == 204:  # no document: the page headers would only cost a poll bytes
        return
    headers["content-security-policy"] = CSP
    headers["referrer-policy"] = "no-referrer"
    headers["x-content-type-options"] = "nosniff"
    headers["x-frame-options"] = "DENY"
    headers["permissions-policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    headers["cross-origin-opener-policy"] = "same-origin"
    if headers.get("content-type", "").startswith("text/html"):
        headers["content-language"] = i18n.current_language.get()  # the offline page follows it


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Sets the request's language from the language cookie before anything renders."""
    profile = get_settings().profile

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        cookies = b"; ".join(v for k, v in scope.get("headers", ()) if k == b"cookie")
        language = i18n.language_from_cookies(cookies.decode("latin-1"), profile.languages,
                                              profile.default_language)
        token = i18n.current_language.set(language)
        easy = i18n.easy_read.set(i18n.easy_read_from_cookies(cookies.decode("latin-1")))
        try:
            await app(scope, receive, send)
        finally:
            i18n.easy_read.reset(easy)
            i18n.current_language.reset(token)

    return middleware


def page_title(title: str, errors: dict | None = None) -> str:
    """The document title: the page's h1, prefixed "Error:" when a form has errors."""
    prefix = i18n.gettext("Error:") + " " if errors else ""
    return f"{prefix}{title} – {get_settings().profile.short_name}"


def local_time(moment, pattern: str = "%d.%m.%Y %H:%M") -> str:
    """A stored UTC time as the helpline's local time."""
    return moment.astimezone(ZoneInfo(get_settings().profile.timezone)).strftime(pattern)


def form_guard_middleware(app: ASGIApp) -> ASGIApp:
    """Parses a sent form once, before CSRF reads it (on any method): a form that cannot be decoded (bad UTF-8,
    an unknown charset) is a clear 400 page, never a 500. Litestar caches the parsed form."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            content_type = request.headers.get("content-type", "")
            token = request.headers.get("x-csrftoken", "")
            if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
                try:
                    form = await request.form()
                except (ValueError, LookupError) as error:
                    raise ClientException("the form could not be read") from error
                token += str(form.get("_csrf_token", ""))
            if not token.isascii():  # Litestar's check would crash on it: refuse it as forged
                raise PermissionDeniedException("CSRF token verification failed")
        await app(scope, receive, send)

    return middleware


def template_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([BASE_DIR / "templates", BASE_DIR / "components"]),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(
        lambda s: i18n.translations(i18n.current_language.get()).gettext(s),
        lambda s, p, n: i18n.translations(i18n.current_language.get()).ngettext(s, p, n),
        newstyle=True,
    )
    env.filters["local_time"] = local_time
    env.globals.update(
        static=assets.static_url,
        profile=get_settings().profile,
        words=vocabulary,
        lang=i18n.current_language.get,
        easy_read=i18n.easy_read.get,
        page_title=page_title,
        translate=i18n.gettext,  # a plain function, for Python helpers that translate
        app_icon=pwa.app_icon,
        theme_color=pwa.theme_color,
    )
    return env


@asynccontextmanager
async def database(app: Litestar):
    from db.tables import Report

    engine = Report._meta.db
    if isinstance(engine, SQLiteEngine):
        await engine._run_in_new_connection("PRAGMA journal_mode=WAL")  # persists in the file
        yield
    else:
        await engine.start_connection_pool(min_size=1, max_size=10)
        try:
            yield
        finally:
            await engine.close_connection_pool()


def create_app() -> Litestar:
    settings = get_settings()
    assets.manifest()  # hash and compress static files once, at start-up
    channels = live.channels_plugin(settings.database_url)  # chat bumps between workers
    return Litestar(
        route_handlers=[*pages.ROUTES, *info.ROUTES, *report.ROUTES, *followup.ROUTES, *chat.ROUTES, *chat_staff.ROUTES, *pwa.ROUTES,
                        *staff.ROUTES,
                        *inbox.ROUTES, *case.ROUTES, *admin.ROUTES, *admin_directory.ROUTES,
                        *supervisor.ROUTES, *library_staff.ROUTES, *help_pages.ROUTES, assets.serve_static],
        plugins=[HTMXPlugin(), channels, live.live_plugin(channels)],
        lifespan=[database],
        middleware=[language_middleware, form_guard_middleware],
        before_send=[security_headers],
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(template_environment())),
        csrf_config=CSRFConfig(
            secret=settings.secret.decode(), cookie_name="rp_csrf", cookie_httponly=True,
            cookie_samesite="strict", cookie_secure=settings.secure_cookies,
            exclude=["^/exit"]),
        compression_config=CompressionConfig(
            backend="brotli", brotli_gzip_fallback=True, brotli_quality=5, exclude="^/static/"),
        exception_handlers={Exception: errors.handle},
        request_max_body_size=64 * 1024,
        openapi_config=None,
        logging_config=LoggingConfig(log_exceptions="never",
                                     loggers={"raporto": {"level": "INFO", "handlers": ["queue_listener"]}}),
    )


def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = asyncio.run(run_forwards("all"))
    if not result.success:
        sys.exit(result.message)


def _ask_password() -> str:
    from getpass import getpass

    from services.accounts import password_problem

    while True:
        password = getpass("Password (at least 12 characters): ")
        if problem := password_problem(password):
            print(i18n.gettext(problem))
        elif getpass("Password again: ") != password:
            print("The two passwords differ.")
        else:
            return password


def create_admin() -> None:
    """`python app.py create-admin`: the first administrator, asked for at the terminal."""
    from services import accounts

    username = input("Username: ").strip()
    display_name = input("Display name: ").strip()
    try:
        asyncio.run(accounts.create(username, display_name, "admin", _ask_password()))
    except accounts.AccountError as error:
        sys.exit(i18n.gettext(error.message))
    print(f"Administrator {accounts.normalise_username(username)!r} created.")


def reset_password() -> None:
    """`python app.py reset-password USERNAME`: a new password, asked for at the terminal."""
    from db.tables import Account
    from services import accounts

    if len(sys.argv) < 3:
        sys.exit("usage: python app.py reset-password USERNAME")
    username = accounts.normalise_username(sys.argv[2])
    row = asyncio.run(Account.select(Account.id).where(Account.username == username).first().run())
    if row is None:
        sys.exit(f"No account {username!r}.")
    try:
        asyncio.run(accounts.set_password(row["id"], _ask_password()))
    except accounts.AccountError as error:
        sys.exit(i18n.gettext(error.message))
    print(f"Password of {username!r} changed; its sessions were signed out.")


def serve() -> None:
    import uvicorn

    settings = get_settings()
    # No access log and no proxy headers: a reporter's address never reaches a log line.
    uvicorn.run("app:create_app", factory=True, host=settings.host, port=settings.port,
                access_log=False, proxy_headers=False, server_header=False, log_level="info")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    commands = {"migrate": migrate, "serve": serve, "create-admin": create_admin,
                "reset-password": reset_password}
    commands.get(command, lambda: sys.exit(f"unknown command {command}"))()
