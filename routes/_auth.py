"""Staff sign-in state and role guards; one place that decides who may do what."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from services.accounts import StaffUser, session_user

STAFF_COOKIE = "rp_staff"


async def current_staff(connection: ASGIConnection) -> StaffUser | None:
    """The signed-in staff member, looked up once per request."""
    state = connection.scope.setdefault("state", {})
    if "staff" not in state:
        state["staff"] = await session_user(connection.cookies.get(STAFF_COOKIE))
    return state["staff"]


def requires(role: str):
    """A guard: signed in (else 401 -> the sign-in page) with at least `role` (else 403)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = await current_staff(connection)
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
