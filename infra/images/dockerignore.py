"""`.dockerignore` with Docker's semantics (moby/patternmatcher), not gitignore's.

The differences from gitignore matter for a cache key that must match what the engine sees:
- a pattern is anchored at the context root (`foo` is only `./foo`, never `a/foo`); a leading `/` is
  dropped and the pattern is cleaned like Go's `filepath.Clean` (`./a/` is `a`);
- a pattern also matches everything under a directory it matches (`foo` excludes `foo/bar/baz`);
- `*` and `?` never cross `/`, `**` spans any number of directories (zero included);
- lines are evaluated in order and the last matching one wins, `!` lines re-include;
- a `#` comment must start in column one; other lines are whitespace-trimmed.
"""

from __future__ import annotations

import enum
import posixpath
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidInput

IGNORE_FILE = ".dockerignore"

# Characters that are literal in Go's filepath.Match but special in a regular expression; like
# patternmatcher, "^" is not among them so that "[^...]" classes keep their meaning.
_LITERAL_SPECIALS = frozenset(".+()|{}$")


class _Kind(enum.Enum):
    # patternmatcher's fast paths; they are not all equivalent to the regex (e.g. "**foo" is a plain
    # suffix test that matches "barfoo"), so they are reproduced rather than folded into one regex.
    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    REGEX = "regex"


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    text: str  # cleaned, without the leading "!"
    exception: bool  # a "!" line: re-includes what earlier lines excluded
    kind: _Kind
    regex: re.Pattern[str] | None

    def matches(self, path: str) -> bool:
        if self.kind is _Kind.REGEX:
            assert self.regex is not None
            return self.regex.fullmatch(path) is not None
        if self.kind is _Kind.EXACT:
            return path == self.text
        if self.kind is _Kind.PREFIX:
            return path.startswith(self.text[:-2])
        suffix = self.text[2:]
        return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])


def clean_pattern(raw: str) -> str:
    """Go's filepath.Clean followed by Docker's "absolute paths are relative to the context"."""
    cleaned = posixpath.normpath(raw)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")  # Go collapses the POSIX-reserved leading "//" too
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned[1:]
    return cleaned


def compile_pattern(pattern: str, *, exception: bool = False) -> IgnorePattern:
    """Translate one cleaned pattern the way patternmatcher does (regex plus its fast paths)."""
    out: list[str] = []
    kind = _Kind.EXACT
    i, n, step = 0, len(pattern), 0
    while i < n:
        ch = pattern[i]
        if ch == "*" and i + 1 < n and pattern[i + 1] == "*":
            i += 2
            if i < n and pattern[i] == "/":
                i += 1  # "**/" is "**": the slash is part of the any-depth match
            if i >= n:
                # "**" at the end accepts anything below.
                if kind is _Kind.EXACT:
                    kind = _Kind.PREFIX
                else:
                    out.append(".*")
                    kind = _Kind.REGEX
            else:
                out.append("(?:.*/)?")  # any number of whole directories, zero included
                kind = _Kind.REGEX
            if step == 0:
                kind = _Kind.SUFFIX
            step += 1
            continue
        if ch == "*":
            out.append("[^/]*")
            kind = _Kind.REGEX
        elif ch == "?":
            out.append("[^/]")
            kind = _Kind.REGEX
        elif ch in _LITERAL_SPECIALS:
            out.append("\\" + ch)
        elif ch == "\\":
            if i + 1 < n:
                i += 1
                out.append(re.escape(pattern[i]))
                kind = _Kind.REGEX
            else:
                out.append(re.escape(ch))
        elif ch in "[]":
            out.append(ch)  # character classes pass through, as in patternmatcher
            kind = _Kind.REGEX
        else:
            out.append(ch)  # raw, as patternmatcher does: "^" and "-" keep their meaning in classes
        i += 1
        step += 1
    regex: re.Pattern[str] | None = None
    if kind is _Kind.REGEX:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # Python's "possible nested set" hint
                regex = re.compile("".join(out))
        except re.error as error:
            raise InvalidInput(
                f"{IGNORE_FILE}: invalid pattern {pattern!r}: {error}", field=IGNORE_FILE
            ) from None
    return IgnorePattern(pattern, exception, kind, regex)


def parse_patterns(text: str) -> list[IgnorePattern]:
    patterns: list[IgnorePattern] = []
    for raw_line in text.removeprefix("\ufeff").splitlines():
        if raw_line.startswith("#"):
            continue
        line = raw_line.strip()
        if not line:
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        if not line:
            raise InvalidInput(f'{IGNORE_FILE}: illegal exclusion pattern "!"', field=IGNORE_FILE)
        patterns.append(compile_pattern(clean_pattern(line), exception=exception))
    return patterns


@dataclass(frozen=True, slots=True)
class DirScope:
    """Precomputed for one directory: which patterns match the directory or one of its ancestors.

    Docker checks every ancestor of a path against every pattern; doing that once per directory
    instead of once per file keeps a 10,000-file walk at one regex test per file and pattern.
    """

    path: str  # relative to the context, "" for the root
    ancestor_match: tuple[bool, ...]


class DockerIgnore:
    def __init__(self, patterns: Sequence[IgnorePattern]) -> None:
        self.patterns = tuple(patterns)
        self.has_exceptions = any(p.exception for p in self.patterns)
        self.root = DirScope("", tuple(False for _ in self.patterns))

    @classmethod
    def from_text(cls, text: str) -> DockerIgnore:
        return cls(parse_patterns(text))

    @classmethod
    def load(cls, context: Path) -> DockerIgnore:
        try:
            text = (context / IGNORE_FILE).read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return cls(())
        return cls.from_text(text)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def child_scope(self, parent: DirScope, name: str) -> DirScope:
        path = f"{parent.path}/{name}" if parent.path else name
        return DirScope(
            path,
            tuple(
                above or pattern.matches(path)
                for above, pattern in zip(parent.ancestor_match, self.patterns, strict=True)
            ),
        )

    def excluded_in(self, scope: DirScope, name: str) -> bool:
        """Whether entry `name` of the directory `scope` is left out of the build context."""
        if not self.patterns:
            return False
        path = f"{scope.path}/{name}" if scope.path else name
        excluded = False
        for above, pattern in zip(scope.ancestor_match, self.patterns, strict=True):
            # Last match wins, so only a pattern that could flip the current answer is tested.
            if pattern.exception != excluded:
                continue
            if above or pattern.matches(path):
                excluded = not pattern.exception
        return excluded

    def scope_of(self, directory: str) -> DirScope:
        scope = self.root
        for part in _parts(directory):
            scope = self.child_scope(scope, part)
        return scope

    def excluded(self, path: str) -> bool:
        """Whether a context-relative path is excluded (convenience form of `excluded_in`)."""
        parent, _, name = path.rpartition("/")
        return self.excluded_in(self.scope_of(parent), name)

    def prunable(self, scope: DirScope, name: str) -> bool:
        """An excluded directory can be skipped whole unless some `!` line might re-include below it."""
        return not self.has_exceptions and self.excluded_in(scope, name)


def _parts(path: str) -> Iterable[str]:
    return (part for part in path.split("/") if part)
