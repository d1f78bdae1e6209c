"""A minimal Dockerfile parser: just the syntax the image cache key needs.

It follows the reference parser (moby/buildkit `frontend/dockerfile/parser`) where that matters for
finding build inputs: parser directives (`# escape=`), line continuations with comment and blank
lines inside them, leading `--flag[=value]` words, the JSON-array form, and heredocs
(`COPY <<EOF /dest`). It does not validate instructions: the engine does that when it builds, and
the cache key hashes the Dockerfile's bytes whole anyway.

Parsing never raises: anything it cannot make sense of becomes an instruction with plain words, so
a malformed Dockerfile still gets a key (and then fails to build with the engine's own message).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass

DEFAULT_ESCAPE = "\\"

# Instructions whose arguments are a JSON array or whitespace-separated words (parseMaybeJSONToList).
_LIST_INSTRUCTIONS = frozenset({"ADD", "COPY", "VOLUME"})
# Instructions whose non-JSON form is one shell string (parseMaybeJSON).
_SHELL_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})
# Only these may carry heredocs.
_HEREDOC_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN"})

_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_KNOWN_DIRECTIVES = frozenset({"escape", "syntax", "check"})
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_WHITESPACE = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    content: str
    strip_tabs: bool  # "<<-": leading tabs are removed from the body


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper-case, e.g. "COPY"
    flags: tuple[tuple[str, str | None], ...]  # ("from", "build"), ("link", None) ...
    args: tuple[str, ...]  # JSON items, whitespace-separated words, or one shell string
    json_form: bool
    line: int  # 1-based line where the instruction starts
    rest: str  # the text after the flags, as written (continuations joined)
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> str | None:
        """The last value given for `--name` ("" for a bare `--name`), or None if absent."""
        found: str | None = None
        for key, value in self.flags:
            if key == name:
                found = "" if value is None else value
        return found

    def flag_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.flags if key == name]


@dataclass(frozen=True, slots=True)
class Dockerfile:
    instructions: tuple[Instruction, ...]
    escape: str = DEFAULT_ESCAPE
    directives: tuple[tuple[str, str], ...] = ()


def parse_dockerfile(text: str) -> Dockerfile:
    lines = text.removeprefix("\ufeff").splitlines()
    directives, escape, index = _read_directives(lines)
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    instructions: list[Instruction] = []
    while index < len(lines):
        raw = lines[index].lstrip(" \t")
        index += 1
        if not raw or raw.startswith("#"):
            continue
        start = index
        logical, ended = _strip_continuation(raw, continuation)
        while not ended and index < len(lines):
            following = lines[index]
            index += 1
            if following.lstrip(" \t").startswith("#") or not following.strip(" \t"):
                continue  # comments and blank lines inside a continuation are dropped
            part, ended = _strip_continuation(following, continuation)
            logical += part
        if not logical.strip():
            continue
        instruction, heredoc_names = _instruction(logical, start)
        if heredoc_names:
            heredocs, index = _read_heredocs(lines, index, heredoc_names)
            instruction = dataclasses.replace(instruction, heredocs=tuple(heredocs))
        instructions.append(instruction)
    return Dockerfile(tuple(instructions), escape, tuple(directives))


def _read_directives(lines: list[str]) -> tuple[list[tuple[str, str]], str, int]:
    """Parser directives are only honoured at the very top, before any other line."""
    directives: list[tuple[str, str]] = []
    escape = DEFAULT_ESCAPE
    index = 0
    seen: set[str] = set()
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        if not match or match.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        name, value = match.group(1).lower(), match.group(2)
        if name in seen:
            break
        seen.add(name)
        directives.append((name, value))
        if name == "escape" and value in ("\\", "`"):
            escape = value
        index += 1
    return directives, escape, index


def _strip_continuation(line: str, continuation: re.Pattern[str]) -> tuple[str, bool]:
    stripped = continuation.sub("", line, count=1)
    return stripped, stripped == line


def _instruction(logical: str, line: int) -> tuple[Instruction, list[tuple[str, bool]]]:
    stripped = logical.strip()
    parts = _WHITESPACE.split(stripped, maxsplit=1)
    keyword = parts[0].upper()
    remainder = parts[1] if len(parts) > 1 else ""
    flags, rest = _split_flags(remainder)
    heredoc_names: list[tuple[str, bool]] = []
    if keyword in _HEREDOC_INSTRUCTIONS:
        heredoc_names = [(m.group(3), m.group(1) == "-") for m in _HEREDOC.finditer(rest)]
    args, json_form = _arguments(keyword, rest)
    return Instruction(keyword, tuple(flags), tuple(args), json_form, line, rest), heredoc_names


def _split_flags(remainder: str) -> tuple[list[tuple[str, str | None]], str]:
    """Leading `--name[=value]` words are flags (a value may be quoted); the rest are arguments."""
    flags: list[tuple[str, str | None]] = []
    rest = remainder.lstrip(" \t")
    while rest.startswith("--"):
        word, rest = _next_word(rest)
        if word == "--":
            break
        name, sep, value = word[2:].partition("=")
        flags.append((name.lower(), value if sep else None))
        rest = rest.lstrip(" \t")
    return flags, rest


def _next_word(text: str) -> tuple[str, str]:
    """One whitespace-delimited word; quotes group, and are removed, as in extractBuilderFlags."""
    word: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            else:
                word.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch in " \t":
            break
        else:
            word.append(ch)
        i += 1
    return "".join(word), text[i:]


def _arguments(keyword: str, rest: str) -> tuple[list[str], bool]:
    if keyword in _LIST_INSTRUCTIONS or keyword in _SHELL_INSTRUCTIONS:
        items = _json_list(rest)
        if items is not None:
            return items, True
        if keyword in _SHELL_INSTRUCTIONS:
            return ([rest] if rest else []), False
    return [word for word in _WHITESPACE.split(rest.strip()) if word], False


def _json_list(rest: str) -> list[str] | None:
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _read_heredocs(
    lines: list[str], index: int, names: list[tuple[str, bool]]
) -> tuple[list[Heredoc], int]:
    heredocs: list[Heredoc] = []
    for name, strip_tabs in names:
        body: list[str] = []
        while index < len(lines):
            line = lines[index]
            index += 1
            candidate = line.lstrip("\t") if strip_tabs else line
            if candidate == name:
                break
            body.append(candidate)
        heredocs.append(Heredoc(name, "".join(part + "\n" for part in body), strip_tabs))
    return heredocs, index

