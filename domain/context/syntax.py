"""The URL grammar context URLs share: scheme, authority, path segments and their percent-encoding.

Written by hand rather than with `urllib.parse.urlsplit`, which accepts almost anything (it silently
drops tabs and newlines, and takes `http:/x` as a URL), so that every malformed input gets a message
saying what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from domain.context.hosts import FIELD, normalize_host
from domain.errors import InvalidInput

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
# RFC 3986 `pchar` without the percent sign, which is checked separately (it must start an escape).
_PCHAR = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"
"""Characters a rendered segment keeps literally; everything else, `/` and `%` included, is escaped."""


def check_text(text: str) -> str:
    """The input without surrounding whitespace; empty input, inner whitespace and controls are errors."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput("the context URL is empty", field=FIELD)
    for index, char in enumerate(stripped):
        if char.isspace():
            raise InvalidInput(
                f"the context URL contains whitespace at position {index + 1}; encode spaces as %20", field=FIELD
            )
        if not char.isprintable():
            raise InvalidInput(f"the context URL contains the non-printable character {char!r}", field=FIELD)
    return stripped


def split_scheme(text: str) -> tuple[str, str] | None:
    """`(scheme in lowercase, the rest after "://")`, or None when the text has no `scheme://`."""
    match = _SCHEME.match(text)
    if match is None:
        return None
    return match.group(1).lower(), text[match.end():]


@dataclass(frozen=True)
class Authority:
    user: str | None
    host: str
    port: int | None


def parse_authority(authority: str, *, default_port: int) -> Authority:
    """`[user@]host[:port]`; the host is normalized and a port equal to the scheme's default dropped."""
    user: str | None = None
    if "@" in authority:
        user, _, authority = authority.rpartition("@")
        if ":" in user:
            raise InvalidInput("the URL contains a password; context URLs must not carry credentials", field=FIELD)
        check_raw_segment(user, "user name")
    host, port_text = authority, None
    closing = authority.rfind("]")
    colon = authority.rfind(":")
    if colon > closing:
        host, port_text = authority[:colon], authority[colon + 1:]
    port = None if port_text is None else parse_port(port_text)
    return Authority(user or None, normalize_host(host), None if port == default_port else port)


def parse_port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= 65535:
        raise InvalidInput(f"{text!r} is not a port number (1-65535)", field=FIELD)
    return int(text)


def format_authority(authority: Authority) -> str:
    user = f"{authority.user}@" if authority.user else ""
    port = f":{authority.port}" if authority.port is not None else ""
    return f"{user}{authority.host}{port}"


def check_raw_segment(segment: str, what: str) -> None:
    """A segment as it appears in a URL: only URL path characters and well-formed %-escapes."""
    if segment in (".", ".."):
        raise InvalidInput(f"{what} must not contain '{segment}' segments", field=FIELD)
    index = 0
    while index < len(segment):
        if segment[index] == "%":
            if not _ESCAPE.match(segment, index):
                raise InvalidInput(f"malformed percent-escape {segment[index:index + 3]!r} in {what}", field=FIELD)
            index += 3
            continue
        char = segment[index]
        # Characters beyond ASCII are taken as IRI characters (a browser's address bar shows them so).
        if not _PCHAR.fullmatch(char) and not (ord(char) > 127 and char.isprintable()):
            raise InvalidInput(f"invalid character {char!r} in {what}", field=FIELD)
        index += 1


def split_path(path: str, what: str) -> list[str]:
    """The raw segments of a URL path; empty segments (`//`, a trailing `/`) are dropped."""
    segments = [segment for segment in path.split("/") if segment]
    for segment in segments:
        check_raw_segment(segment, what)
    return segments


def decode_segments(raw: list[str], what: str) -> tuple[str, ...]:
    """Raw URL segments as the names they stand for; an escaped `/` separates segments like a plain one."""
    decoded: list[str] = []
    for segment in raw:
        try:
            text = unquote(segment, errors="strict")
        except UnicodeDecodeError:
            raise InvalidInput(f"{what} {segment!r} is not UTF-8 once unescaped", field=FIELD) from None
        decoded.extend(part for part in text.split("/") if part)
    for segment in decoded:
        check_decoded_segment(segment, what)
    return tuple(decoded)


def check_decoded_segment(segment: str, what: str) -> None:
    if not segment:
        raise InvalidInput(f"{what} has an empty segment", field=FIELD)
    if "/" in segment:
        raise InvalidInput(f"{what} has a segment containing '/': {segment!r}", field=FIELD)
    if segment in (".", ".."):
        raise InvalidInput(f"{what} must not contain '{segment}' segments", field=FIELD)
    if not segment.isprintable():
        raise InvalidInput(f"{what} contains a control character", field=FIELD)


def encode_segment(segment: str) -> str:
    return quote(segment, safe=_SEGMENT_SAFE)
