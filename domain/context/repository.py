"""Clone URLs: what git is given to fetch from, in one canonical spelling per repository.

Canonical means: lowercase scheme and host, no default port, no trailing slash, no query or
fragment, and for the hosts known by name (github.com, ...) the `.git` suffix their clone URLs
carry, so `https://github.com/o/r` and `https://github.com/o/r.git/` name one repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.context.flavour import HostFlavour
from domain.context.hosts import FIELD, flavour_of_host, is_loopback
from domain.context.syntax import Authority, format_authority, parse_authority, split_path, split_scheme
from domain.errors import InvalidInput

DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
SUPPORTED = "https://, http:// (loopback only), ssh://, git://, file:// or user@host:path"
_SCP_LIKE = re.compile(r"([^@/:\[\]]+)@(\[[^\]]*\]|[^:/\[\]]+):(.*)")


@dataclass(frozen=True)
class Repository:
    clone_url: str
    host: str
    flavour: HostFlavour
    """The flavour known from the host name alone; UNKNOWN for other hosts."""
    web: bool
    """True for http(s) repositories, the only ones a web path (`/tree/...`) can follow."""
    segments: tuple[str, ...]
    """The raw path segments of the clone URL."""


def parse_repository_url(text: str) -> Repository:
    """A clone URL of any supported scheme, canonicalized; a web path is taken as part of the repository."""
    split = split_scheme(text)
    if split is None:
        return _scp_like(text)
    scheme, rest = split
    if scheme in ("http", "https"):
        return web_repository(scheme, *split_web_url(scheme, rest))
    if scheme in ("ssh", "git"):
        authority, _, path = rest.partition("/")
        parsed = parse_authority(authority, default_port=DEFAULT_PORTS[scheme])
        if scheme == "git" and parsed.user:
            raise InvalidInput("git:// URLs have no user name", field=FIELD)
        segments = _required_path(split_path(path, "the repository path"), text)
        return Repository(f"{scheme}://{format_authority(parsed)}/{'/'.join(segments)}", parsed.host,
                          flavour_of_host(parsed.host), web=False, segments=tuple(segments))
    if scheme == "file":
        return _file(rest, text)
    raise InvalidInput(f"unsupported scheme {scheme!r} in {text!r}; use {SUPPORTED}", field=FIELD)


def split_web_url(scheme: str, rest: str) -> tuple[Authority, list[str]]:
    """The authority and raw path segments of an http(s) URL (`rest` follows the `://`)."""
    # The query and fragment of a web page's URL (`?tab=readme`) say nothing about the repository.
    authority, _, path = re.split(r"[?#]", rest, maxsplit=1)[0].partition("/")
    return _web_authority(scheme, authority), split_path(path, "the URL path")


def _web_authority(scheme: str, authority: str) -> Authority:
    parsed = parse_authority(authority, default_port=DEFAULT_PORTS[scheme])
    if parsed.user:
        raise InvalidInput("the URL contains a user name; context URLs must not carry credentials", field=FIELD)
    if scheme == "http" and not is_loopback(parsed.host):
        raise InvalidInput(
            f"plain http:// is only accepted for loopback hosts (localhost, 127.0.0.1, [::1]); use https://{authority}",
            field=FIELD,
        )
    return parsed


def web_repository(scheme: str, authority: Authority, segments: list[str]) -> Repository:
    """The repository at `segments` of an http(s) host, which must be the whole repository path."""
    flavour = flavour_of_host(authority.host)
    base = f"{scheme}://{format_authority(authority)}"
    if not segments:
        raise InvalidInput(f"{base} names no repository: add the repository's path", field=FIELD)
    if flavour is not HostFlavour.UNKNOWN:
        if len(segments) < 2:
            raise InvalidInput(f"{base}/{segments[0]} names no repository: expected {base}/<owner>/<repo>",
                               field=FIELD)
        if flavour is not HostFlavour.GITLAB and len(segments) > 2:
            raise InvalidInput(
                f"{base}/{'/'.join(segments)} is not a repository: {authority.host} repositories are "
                f"{base}/<owner>/<repo>", field=FIELD)
        if not segments[-1].endswith(".git"):
            segments = [*segments[:-1], f"{segments[-1]}.git"]
        if segments[-1] == ".git":
            raise InvalidInput(f"{base}/{'/'.join(segments)} has an empty repository name", field=FIELD)
    return Repository(f"{base}/{'/'.join(segments)}", authority.host, flavour, web=True, segments=tuple(segments))


def _scp_like(text: str) -> Repository:
    match = _SCP_LIKE.fullmatch(text)
    if match is None:
        raise InvalidInput(f"{text!r} is not a repository URL; use {SUPPORTED}", field=FIELD)
    user, host, path = match.groups()
    parsed = parse_authority(f"{user}@{host}", default_port=-1)
    absolute = "/" if path.startswith("/") else ""
    segments = _required_path(split_path(path, "the repository path"), text)
    return Repository(f"{format_authority(parsed)}:{absolute}{'/'.join(segments)}", parsed.host,
                      flavour_of_host(parsed.host), web=False, segments=tuple(segments))


def _file(rest: str, text: str) -> Repository:
    host, slash, path = rest.partition("/")
    if host not in ("", "localhost") or not slash:
        raise InvalidInput(f"{text!r} is not a local path: file URLs are file:///<absolute path>", field=FIELD)
    segments = _required_path(split_path(path, "the repository path"), text)
    return Repository(f"file:///{'/'.join(segments)}", "", HostFlavour.UNKNOWN, web=False, segments=tuple(segments))


def _required_path(segments: list[str], text: str) -> list[str]:
    if not segments:
        raise InvalidInput(f"{text!r} names no repository: the path is missing", field=FIELD)
    return segments
