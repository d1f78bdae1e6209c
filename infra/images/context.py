"""Which build-context entries a build can read, as the engine would see them.

Given the context paths a Dockerfile names (see `build_inputs`), this lists every file, directory
and symlink those paths take in, after `.dockerignore`, in a stable order. Paths are resolved the
way the engine does: symlinks are followed inside the context (an absolute target or `..` never
leaves it), a source that is a symlink is followed, symlinks found while walking a directory are
kept as symlinks, and wildcards use Go's `filepath.Match` rules (`*` matches dotfiles too).
"""

from __future__ import annotations

import os
import re
import stat
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidInput
from infra.images.build_inputs import WHOLE_CONTEXT
from infra.images.dockerignore import DirScope, DockerIgnore

_MAX_SYMLINKS = 255  # as in Docker's FollowSymlinkInScope


@dataclass(frozen=True, slots=True)
class ContextEntry:
    path: str  # relative to the context root, "/"-separated; "." is the root itself
    fspath: str  # where to read it
    mode: int  # st_mode from lstat: the type and the permission bits
    size: int
    mtime: int  # not part of the key (see digest.py), but the context tar carries it like docker's


def has_wildcard(path: str) -> bool:
    """Docker's containsWildcards: `*`, `?` or `[` not escaped by a backslash."""
    escaped = False
    for ch in path:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "*?[":
            return True
    return False


def select_context(context: Path, paths: Iterable[str], ignore: DockerIgnore) -> list[ContextEntry]:
    """Every entry the given context paths take in, sorted by path, each once."""
    return _Selection(context, ignore).select(paths)


class _Selection:
    def __init__(self, context: Path, ignore: DockerIgnore) -> None:
        self.root = os.path.realpath(context)
        if not os.path.isdir(self.root):
            raise InvalidInput(f"the build context {str(context)!r} is not a directory", field="context")
        self.ignore = ignore
        self.entries: dict[str, ContextEntry] = {}
        self.whole = False  # the whole context is already in `entries`

    def select(self, paths: Iterable[str]) -> list[ContextEntry]:
        ordered = sorted(set(paths), key=lambda p: p != WHOLE_CONTEXT)  # the whole context first
        for path in ordered:
            if has_wildcard(path):
                for match in self._glob(path):
                    self._add_path(match)
            else:
                self._add_path(path)
        return [self.entries[path] for path in sorted(self.entries)]

    # -- resolving paths ------------------------------------------------------------------------

    def _abs(self, rel: str) -> str:
        return self.root if rel in ("", WHOLE_CONTEXT) else os.path.join(self.root, rel)

    def _resolve(self, rel: str) -> tuple[str | None, list[str]]:
        """Follow symlinks with the context as "/"; returns the resolved path (None if it does not
        exist) and the symlinks passed on the way, which the key must cover as well."""
        parts = deque(part for part in rel.split("/"))
        resolved: list[str] = []
        links: list[str] = []
        while parts:
            part = parts.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = "/".join([*resolved, part])
            try:
                info = os.lstat(self._abs(candidate))
            except (FileNotFoundError, NotADirectoryError):
                return None, links
            if stat.S_ISLNK(info.st_mode):
                links.append(candidate)
                if len(links) > _MAX_SYMLINKS:
                    raise InvalidInput(f"too many levels of symlinks at {rel!r} in the build context")
                target = os.readlink(self._abs(candidate))
                if target.startswith("/"):
                    resolved = []
                parts.extendleft(reversed(target.split("/")))
                continue
            resolved.append(part)
        return "/".join(resolved) or WHOLE_CONTEXT, links

    def _glob(self, pattern: str) -> list[str]:
        """Expand a wildcard source one path component at a time."""
        frontier = [""]
        for component in pattern.split("/"):
            if not component:
                continue
            if not has_wildcard(component):
                frontier = [f"{rel}/{component}" if rel else component for rel in frontier]
                continue
            regex = _component_regex(component)
            matches: list[str] = []
            for rel in frontier:
                resolved, links = self._resolve(rel) if rel else (WHOLE_CONTEXT, [])
                self._add_links(links)
                if resolved is None:
                    continue
                try:
                    names = os.listdir(self._abs(resolved))
                except (NotADirectoryError, FileNotFoundError):
                    continue
                matches.extend(f"{rel}/{name}" if rel else name for name in names if regex.fullmatch(name))
            frontier = matches
        return frontier

    # -- collecting entries ---------------------------------------------------------------------

    def _add(self, rel: str, fspath: str, info: os.stat_result) -> None:
        self.entries[rel] = ContextEntry(rel, fspath, info.st_mode, info.st_size, int(info.st_mtime))

    def _add_links(self, links: list[str]) -> None:
        for link in links:
            if not self.ignore.excluded(link):
                self._add(link, self._abs(link), os.lstat(self._abs(link)))

    def _add_path(self, rel: str) -> None:
        resolved, links = self._resolve(rel)
        self._add_links(links)
        if resolved is None:
            return  # absent: the engine fails the build, and the key records the absence
        if self.whole and not links:
            return  # already taken in by the walk of the whole context
        fspath = self._abs(resolved)
        try:
            info = os.lstat(fspath)
        except FileNotFoundError:
            return
        if resolved == WHOLE_CONTEXT:
            self._add(WHOLE_CONTEXT, fspath, info)
            self._walk(fspath, self.ignore.root)
            self.whole = True
            return
        excluded = self.ignore.excluded(resolved)
        if not excluded:
            self._add(resolved, fspath, info)
        if stat.S_ISDIR(info.st_mode) and (not excluded or self.ignore.has_exceptions):
            self._walk(fspath, self.ignore.scope_of(resolved))

    def _walk(self, fspath: str, scope: DirScope) -> None:
        ignore = self.ignore if self.ignore else None
        prefix = f"{scope.path}/" if scope.path else ""
        entries = self.entries
        try:
            with os.scandir(fspath) as listing:
                children = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            return  # removed since it was seen: the context is what is there now
        except OSError as error:
            raise _unreadable(scope.path, error) from error
        for child in children:
            name = child.name
            try:
                info = child.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            excluded = ignore is not None and ignore.excluded_in(scope, name)
            if stat.S_ISDIR(info.st_mode):
                if not excluded:
                    entries[prefix + name] = ContextEntry(
                        prefix + name, child.path, info.st_mode, 0, int(info.st_mtime)
                    )
                if ignore is None:
                    self._walk(child.path, DirScope(prefix + name, ()))
                elif not excluded or ignore.has_exceptions:
                    # An excluded directory is still entered when a "!" line may re-include below it.
                    self._walk(child.path, ignore.child_scope(scope, name))
            elif not excluded:
                entries[prefix + name] = ContextEntry(
                    prefix + name, child.path, info.st_mode, info.st_size, int(info.st_mtime)
                )


def _unreadable(path: str, error: OSError) -> InvalidInput:
    return InvalidInput(f"cannot read {path or '.'!r} in the build context: {error}", field="context")


def _component_regex(component: str) -> re.Pattern[str]:
    """Go's filepath.Match for one path component: `*`, `?`, `[...]`/`[^...]`, `\\` escapes."""
    out: list[str] = []
    i = 0
    while i < len(component):
        ch = component[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(component):
            i += 1
            out.append(re.escape(component[i]))
        elif ch == "[":
            end = component.find("]", i + 2)
            if end < 0:
                raise InvalidInput(f"bad wildcard pattern {component!r} in a COPY source", field="dockerfile")
            out.append(_character_class(component[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out))


def _character_class(body: str) -> str:
    negate = body.startswith("^")
    if negate:
        body = body[1:]
    parts: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            i += 1
            parts.append(re.escape(body[i]))
        elif ch == "-" and parts and i + 1 < len(body):
            parts.append("-")  # a range
        else:
            parts.append(re.escape(ch))
        i += 1
    return "[" + ("^" if negate else "") + "".join(parts) + "]"
