"""The dashboard's static files, shipped inside the package (`static/`), each served under a URL that names
its content hash: a browser may cache it forever, and a new release changes the URL instead.

Modules import each other (`import { api } from "./common.js"`). A bare relative import would be cached
forever under a URL that never changes, so a new `common.js` would never reach a cached `dashboard.js`. The
import specifiers are therefore rewritten, once at load, to the imported module's hashed URL; a module's own
hash is taken after that rewrite, so a change in a module it imports changes its URL too. (An import map
would be an inline script, which the page's CSP forbids without a hash of its own.)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

ASSET_PATH = "/dashboard/assets/{name}"
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Static imports and re-exports of a sibling module: `from "./x.js"` (the only form the dashboard uses).
_IMPORT = re.compile(r"""(\bfrom\s*)(["'])\./([A-Za-z0-9_-]+\.js)\2""")


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    media_type: str
    imports: tuple[str, ...] = ()
    """Every module this one loads, directly or not, by hashed URL: the page preloads them all at once
    instead of discovering them one round trip at a time."""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:16]

    @property
    def url(self) -> str:
        return ASSET_PATH.format(name=self.name) + f"?v={self.digest}"


def link_modules(raw: dict[str, bytes]) -> dict[str, Asset]:
    """Every module with its imports pointing at hashed URLs, dependencies first (a cycle is a bug)."""
    done: dict[str, Asset] = {}

    def build(name: str, chain: tuple[str, ...]) -> Asset:
        if name in done:
            return done[name]
        if name in chain:
            raise ValueError(f"the dashboard's modules import each other in a cycle: {' -> '.join((*chain, name))}")
        text = raw[name].decode()
        preload: list[str] = []

        def hashed(match: re.Match[str]) -> str:
            wanted = match.group(3)
            if wanted not in raw:
                raise ValueError(f"{name} imports {wanted}, which is not shipped")
            dependency = build(wanted, (*chain, name))
            preload.extend(url for url in (*dependency.imports, dependency.url) if url not in preload)
            return f"{match.group(1)}{match.group(2)}{dependency.url}{match.group(2)}"

        body = _IMPORT.sub(hashed, text).encode() if name.endswith(".js") else raw[name]
        done[name] = Asset(name, body, _MEDIA_TYPES[name[name.rfind("."):]], tuple(preload))
        return done[name]

    for name in raw:
        build(name, ())
    return done


@cache
def _shipped() -> dict[str, Asset]:
    """Read once: every file of `static/` with a type we serve. Looking names up here, rather than opening
    the path a request names, keeps requests out of the file system altogether."""
    folder = files(__package__ or "gateway.dashboard") / "static"
    raw: dict[str, bytes] = {}
    for entry in folder.iterdir():
        suffix = entry.name[entry.name.rfind("."):]
        if entry.is_file() and suffix in _MEDIA_TYPES:
            raw[entry.name] = entry.read_bytes()
    return link_modules(raw)


def asset(name: str) -> Asset | None:
    return _shipped().get(name)

