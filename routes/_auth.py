"""Staff sign-in state and role guards; one place that decides who may do what."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from services.accounts import StaffUser, session_user

STAFF_COOKIE = "rp_staff"


async def current_staff(connection: ASGIConnection, reuse_for: float = 0) -> StaffUser | None:
    """The signed-in staff member, looked up once per request (see session_user's reuse_for)."""
    state = connection.scope.setdefault("state", {})
    if "staff" not in state:
        state["staff"] = await session_user(connection.cookies.get(STAFF_COOKIE), reuse_for)
    return state["staff"]


def requires(role: str):
    """A guard: signed in (else 401 -> the sign-in page) with at least `role` (else 403)."""

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        # A route may trust a session confirmed a few seconds ago (opt reuse_session=seconds):
        # the chat's idle polls then cost no database query.
        user = await current_staff(connection, handler.opt.get("reuse_session", 0))
        if user is None:
            raise NotAuthorizedException()
        if not user.can(role):
            raise PermissionDeniedException("role")

    guard.__name__ = f"requires_{role}"
    return guard


requires_counsellor = requires("counsellor")
requires_supervisor = requires("supervisor")
requires_admin = requires("admin")


def staff(connection: ASGIConnection) -> StaffUser:
    """The user a guard already admitted."""
    return connection.scope["state"]["staff"]
