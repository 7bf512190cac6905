"""Static files: content-hashed names, served immutable, precompressed once at start-up."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from config import BASE_DIR

STATIC_DIR = BASE_DIR / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    path: Path
    hashed_name: str
    media_type: str
    raw: bytes
    br: bytes
    gz: bytes


def _build(path: Path) -> Asset:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:10]
    rel = path.relative_to(STATIC_DIR).as_posix()
    stem, dot, ext = rel.rpartition(".")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type in ("application/javascript", "image/svg+xml"):
        media_type += "; charset=utf-8"
    return Asset(
        path=path,
        hashed_name=f"{stem}.{digest}{dot}{ext}",
        media_type=media_type,
        raw=raw,
        br=brotli.compress(raw, quality=11, mode=brotli.MODE_TEXT),
        gz=gzip.compress(raw, compresslevel=9, mtime=0),
    )


@cache
def manifest() -> dict[str, Asset]:
    """Logical name ('app.css') -> asset; built once per process."""
    return {
        p.relative_to(STATIC_DIR).as_posix(): _build(p)
        for p in sorted(STATIC_DIR.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.suffix != ".py"  # tools stay home
    }


@cache
def _by_hashed_name() -> dict[str, Asset]:
    return {a.hashed_name: a for a in manifest().values()}


def static_url(name: str) -> str:
    return "/static/" + manifest()[name].hashed_name


def encoded(asset: Asset, accept_encoding: str) -> tuple[bytes, str | None]:
    accepted = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
    if "br" in accepted and len(asset.br) < len(asset.raw):
        return asset.br, "br"
    if "gzip" in accepted and len(asset.gz) < len(asset.raw):
        return asset.gz, "gzip"
    return asset.raw, None


@get("/static/{name:path}", name="static", include_in_schema=False, sync_to_thread=False)
def serve_static(request: Request, name: FromPath[str]) -> Response:
    asset = _by_hashed_name().get(name.lstrip("/"))
    if asset is None:
        raise NotFoundException()
    body, encoding = encoded(asset, request.headers.get("accept-encoding", ""))
    headers = {"cache-control": IMMUTABLE, "vary": "Accept-Encoding"}
    if encoding:
        headers["content-encoding"] = encoding
    return Response(body, media_type=asset.media_type, headers=headers)
