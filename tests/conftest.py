"""Test set-up: settings before the app is imported, both databases, page checks on every response.

Database-backed tests take the `backend` fixture (directly or through `client`) and run once on
SQLite and once on PostgreSQL. In CI (CI=true) a PostgreSQL or browser test that cannot run
fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import pytest

_DATA = Path(tempfile.mkdtemp(prefix="raporto-test-"))
os.environ["RAPORTO_DATA"] = str(_DATA)
os.environ["RAPORTO_SECRET"] = "test-secret-not-for-production"
os.environ.pop("DATABASE_URL", None)  # SQLite unless a test asks for PostgreSQL
os.environ.setdefault("RAPORTO_EXIT_URL", "http://127.0.0.1:9/neutral")

from litestar.testing import TestClient  # noqa: E402
from piccolo.apps.migrations.commands.forwards import run_forwards  # noqa: E402
from piccolo.apps.migrations.tables import Migration  # noqa: E402
from piccolo.conf.apps import Finder  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine  # noqa: E402

import piccolo_conf  # noqa: E402
from a11y.checks import assert_page_ok  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def need(condition: bool, reason: str) -> None:
    """Skip a test whose service is missing; in CI that is a failure, never a skip."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


def use_engine(engine) -> None:
    """Point piccolo_conf and every table (migrations' own included) at one engine."""
    piccolo_conf.DB = engine
    for table in [*Finder().get_table_classes(), Migration]:
        table._meta.db = engine


async def _pg_create(name: str) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return True


async def _pg_drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def engines():
    """One fresh SQLite file and one fresh PostgreSQL database for the whole session, migrated."""
    made = {"sqlite": SQLiteEngine(path=str(_DATA / "test.sqlite3"), timeout=30)}
    pg_name = f"raporto_test_{uuid.uuid4().hex[:8]}"
    if asyncio.run(_pg_create(pg_name)):
        made["postgres"] = PostgresEngine(
            config={"dsn": PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + pg_name})
    migrated = set()
    yield made, migrated
    if "postgres" in made:
        asyncio.run(_pg_drop(pg_name))


def _activate(engines, name: str) -> None:
    made, migrated = engines
    need(name in made, f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    use_engine(made[name])
    if name not in migrated:
        result = asyncio.run(run_forwards("all"))
        assert result.success, result.message
        migrated.add(name)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, engines) -> str:
    _activate(engines, request.param)
    yield request.param
    use_engine(engines[0]["sqlite"])


@pytest.fixture
def postgres_backend(engines) -> str:
    """For what only PostgreSQL has (LISTEN/NOTIFY)."""
    _activate(engines, "postgres")
    yield "postgres"
    use_engine(engines[0]["sqlite"])


def _check_html(response) -> None:
    response.read()
    if "text/html" in response.headers.get("content-type", "") and \
            response.text.lstrip().lower().startswith("<!doctype html"):
        assert_page_ok(response.text, str(response.url),
                       allowed_external_links=(os.environ["RAPORTO_EXIT_URL"],))


def make_client(**kwargs) -> TestClient:
    from app import create_app

    client = TestClient(create_app(), **kwargs)
    client.event_hooks = {"response": [_check_html], "request": []}
    return client


@pytest.fixture
def client(backend):
    with make_client() as c:
        yield c


@pytest.fixture
def sqlite_client(engines):
    """For tests that are about HTTP, not storage: SQLite only."""
    _activate(engines, "sqlite")
    with make_client() as c:
        yield c


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for as long as its browser lives, and database helpers here use asyncio.run()."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
