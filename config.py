"""Settings read once from the environment, and the helpline profile (helpline.toml)."""

from __future__ import annotations

import os
import secrets
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def slug(text: str) -> str:
    """ASCII id for a place name: 'Fushë-Arrëz' -> 'fushe-arrez'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(ascii_text.lower().replace("-", " ").split())


@dataclass(frozen=True)
class Place:
    id: str
    name: str


@dataclass(frozen=True)
class County(Place):
    municipalities: tuple[Place, ...] = ()


@dataclass(frozen=True)
class Emergency:
    number: str
    kind: str


@dataclass(frozen=True)
class Profile:
    name: str
    short_name: str
    phone: str
    country: str
    languages: tuple[str, ...]
    language_names: dict
    default_language: str
    neutral_exit_url: str
    theme_color: str
    timezone: str
    emergency: tuple[Emergency, ...]
    counties: tuple[County, ...]
    service_kinds: tuple[str, ...]
    discreet: dict = field(default_factory=dict)
    chat: dict = field(default_factory=dict)

    @property
    def phone_uri(self) -> str:
        return "tel:" + "".join(self.phone.split())

    def county(self, county_id: str) -> County | None:
        return next((c for c in self.counties if c.id == county_id), None)


def load_profile(path: Path) -> Profile:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    counties = tuple(
        County(slug(name), name, tuple(Place(slug(m), m) for m in towns))
        for name, towns in data["regions"].items()
    )
    return Profile(
        name=data["name"],
        short_name=data["short_name"],
        phone=data["phone"],
        country=data["country"],
        languages=tuple(data["languages"]),
        language_names=data.get("language_names", {}),
        default_language=data["default_language"],
        neutral_exit_url=os.environ.get("RAPORTO_EXIT_URL", data["neutral_exit_url"]),
        theme_color=data["theme_color"],
        timezone=data.get("timezone", "UTC"),
        emergency=tuple(Emergency(e["number"], e["kind"]) for e in data["emergency"]),
        counties=counties,
        service_kinds=tuple(data["service_kinds"]),
        discreet=data.get("discreet", {}),
        chat=data.get("chat", {}),
    )


def _secret(data_dir: Path) -> bytes:
    """RAPORTO_SECRET, or a random one kept in the (ignored) data folder."""
    if value := os.environ.get("RAPORTO_SECRET"):
        return value.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    sqlite_path: Path
    secret: bytes
    host: str
    port: int
    secure_cookies: bool
    profile: Profile

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


@cache
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("RAPORTO_DATA", BASE_DIR / "data"))
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL", ""),
        sqlite_path=Path(os.environ.get("SQLITE_PATH", data_dir / "raporto.sqlite3")),
        secret=_secret(data_dir),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        secure_cookies=os.environ.get("RAPORTO_SECURE_COOKIES", "0") == "1",
        profile=load_profile(Path(os.environ.get("RAPORTO_PROFILE", BASE_DIR / "helpline.toml"))),
    )
