"""The dashboard's static files, shipped inside the package (`static/`), each served under a URL that names
its content hash: a browser may cache it forever, and a new release changes the URL instead."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

ASSET_PATH = "/dashboard/assets/{name}"
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:16]

    @property
    def url(self) -> str:
        return ASSET_PATH.format(name=self.name) + f"?v={self.digest}"


@cache
def _shipped() -> dict[str, Asset]:
    """Read once: every file of `static/` with a type we serve. Looking names up here, rather than opening
    the path a request names, keeps requests out of the file system altogether."""
    folder = files(__package__ or "gateway.dashboard") / "static"
    found: dict[str, Asset] = {}
    for entry in folder.iterdir():
        suffix = entry.name[entry.name.rfind("."):]
        if entry.is_file() and suffix in _MEDIA_TYPES:
            found[entry.name] = Asset(entry.name, entry.read_bytes(), _MEDIA_TYPES[suffix])
    return found


def asset(name: str) -> Asset | None:
    return _shipped().get(name)
