"""The database engine: SQLite by default, PostgreSQL when DATABASE_URL says so."""

import os
from pathlib import Path

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

_url = os.environ.get("DATABASE_URL", "")
if _url.startswith(("postgres://", "postgresql://")):
    DB = PostgresEngine(config={"dsn": _url})
else:
    _data = Path(os.environ.get("RAPORTO_DATA", Path(__file__).resolve().parent / "data"))
    _path = Path(os.environ.get("SQLITE_PATH", _data / "raporto.sqlite3"))
    _path.parent.mkdir(parents=True, exist_ok=True)
    DB = SQLiteEngine(path=str(_path), timeout=30)

APP_REGISTRY = AppRegistry(apps=["db.piccolo_app"])
