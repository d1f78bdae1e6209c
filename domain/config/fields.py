"""Typed reading of a positioned tree: every value read knows its file, line and field path.

A `Field` is a node plus where it is (`tasks[1].command` at line 7 of `.gitpod.yml`); its readers
either return a Python value or raise `InvalidConfig` naming all three. Things that are not errors
(unknown keys, duplicate keys, settings Berth ignores) go to a `Warnings` list instead, because a
config written for another tool should still start a workspace.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import ValidationError

from domain.config.model import ConfigWarning
from domain.config.tree import MappingNode, Node, ScalarNode, SequenceNode, describe
from domain.errors import InvalidConfig

T = TypeVar("T")
S = TypeVar("S", bound=str)

_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_DIGITS = re.compile(r"[0-9]{1,10}")


def child_path(parent: str, key: str) -> str:
    """`tasks[1]` + `command` → `tasks[1].command`; odd keys are quoted: `gitConfig["alias.st"]`."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


@dataclass
class Warnings:
    """Collects the non-fatal findings of one parse, in the order they were found."""

    items: list[ConfigWarning] = field(default_factory=list)

    def add(self, file: str, line: int | None, path: str | None, message: str) -> None:
        self.items.append(ConfigWarning(file=file, line=line, field=path or None, message=message))

    def in_line_order(self) -> tuple[ConfigWarning, ...]:
        """Sorted as the user reads the file (found order differs: each part is read separately)."""
        return tuple(sorted(self.items, key=lambda warning: warning.line or 0))


@dataclass(frozen=True, slots=True)
class Field:
    file: str
    path: str
    """Field path from the document root; "" is the root itself."""
    node: Node

    @property
    def line(self) -> int:
        return self.node.line

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, ScalarNode) and self.node.value is None

    def error(self, message: str) -> InvalidConfig:
        where = self.path or "the document"
        return InvalidConfig(f"{where} {message}", file=self.file, line=self.line, field=self.path or None)

    def wrong_type(self, expected: str) -> InvalidConfig:
        return self.error(f"must be {expected}, got {describe(self.node)}")

    def item(self, index: int, node: Node) -> Field:
        return Field(self.file, f"{self.path}[{index}]", node)


def entries(f: Field, warnings: Warnings) -> list[tuple[str, int, Field]]:
    """A mapping's (key, key line, value) triples; a repeated key warns and the last one wins."""
    if not isinstance(f.node, MappingNode):
        raise f.wrong_type("a mapping")
    last: dict[str, int] = {}
    for index, entry in enumerate(f.node.entries):
        if entry.key in last:
            warnings.add(
                f.file,
                entry.key_line,
                child_path(f.path, entry.key),
                f"duplicate key {entry.key!r}; the last one wins",
            )
        last[entry.key] = index
    result = []
    for index, entry in enumerate(f.node.entries):
        if last[entry.key] == index:
            result.append((entry.key, entry.key_line, Field(f.file, child_path(f.path, entry.key), entry.value)))
    return result


def read_object(
    f: Field,
    warnings: Warnings,
    *,
    known: Collection[str],
    ignored: Mapping[str, str] | None = None,
    silent: Collection[str] = (),
) -> dict[str, Field]:
    """The known keys of an object. Keys in `ignored` warn with their reason, `silent` ones are
    accepted without effect (settings of the other tool that mean nothing here), any other key warns
    as unknown."""
    found: dict[str, Field] = {}
    for key, key_line, value in entries(f, warnings):
        if key in known:
            found[key] = value
        elif ignored is not None and key in ignored:
            warnings.add(f.file, key_line, value.path, ignored[key])
        elif key not in silent:
            warnings.add(f.file, key_line, value.path, f"unknown key {key!r}; ignored")
    return found


def as_str(f: Field) -> str:
    if isinstance(f.node, ScalarNode) and f.node.text is not None:
        return f.node.text
    raise f.wrong_type("a string")


def opt_str(f: Field | None) -> str | None:
    """A string, or None when the field is missing or null (YAML `init:` with nothing after it)."""
    if f is None or f.is_null:
        return None
    return as_str(f)


def as_int(f: Field) -> int:
    """A whole number; YAML/JSON `3000`, or a string of digits."""
    value = f.node.value if isinstance(f.node, ScalarNode) else None
    if isinstance(value, bool) or value is None or isinstance(f.node, MappingNode | SequenceNode):
        raise f.wrong_type("a whole number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise f.wrong_type("a whole number")
        return int(value)
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            raise f.error(f"must be a whole number, got {value!r}")
        return int(value)
    return value


def as_list(f: Field) -> list[Field]:
    if not isinstance(f.node, SequenceNode):
        raise f.wrong_type("a list")
    return [f.item(index, node) for index, node in enumerate(f.node.items)]


def opt_list(f: Field | None) -> list[Field]:
    """A list, or empty when the field is missing or null."""
    if f is None or f.is_null:
        return []
    return as_list(f)


def one_of(f: Field, choices: tuple[S, ...]) -> S:
    """One of the `choices` (a Literal's values), typed as that Literal."""
    value = as_str(f)
    for choice in choices:
        if choice == value:
            return choice
    allowed = ", ".join(repr(choice) for choice in choices)
    raise f.error(f"must be one of {allowed}, got {value!r}")


def env_name(f: Field, name: str, key_line: int) -> str:
    """An environment variable name the kernel can carry: not empty, no `=`, no NUL."""
    if not name or "=" in name or "\0" in name:
        raise InvalidConfig(
            f"{f.path} is not a valid environment variable name: {name!r}",
            file=f.file,
            line=key_line,
            field=f.path,
        )
    return name


def env_value(f: Field) -> str:
    value = as_str(f)
    if "\0" in value:
        raise f.error("must not contain a NUL character")
    return value


def str_map(f: Field | None, warnings: Warnings) -> dict[str, str]:
    """A mapping of strings to strings (gitConfig, build args); null or missing is empty."""
    if f is None or f.is_null:
        return {}
    return {key: as_str(value) for key, _, value in entries(f, warnings)}


def env_map(f: Field | None, warnings: Warnings) -> dict[str, str]:
    """Environment variables: valid names, string values (YAML numbers and booleans as written)."""
    if f is None or f.is_null:
        return {}
    return {env_name(value, key, key_line): env_value(value) for key, key_line, value in entries(f, warnings)}


def validated(file: str, make: Callable[[], T]) -> T:
    """Build a model from already-checked values; a ValidationError here is a reader bug, but the
    user still gets an InvalidConfig naming the file rather than a crash."""
    try:
        return make()
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidConfig(f"{path or 'config'}: {first['msg']}", file=file, field=path) from None
