"""A parsed config document as a tree whose every node remembers its line.

Both file formats (YAML and JSON with comments) parse into this one tree, so the code that turns a
document into a `WorkspaceConfig` is written once per format's schema and can always name the line
of what it rejects. Plain `yaml.safe_load` / `json.loads` results forget positions, hence this tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ScalarValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ScalarNode:
    value: ScalarValue
    """The typed value (YAML resolves `3000` to an int, `yes` to a bool; JSON by its literal)."""
    text: str | None
    """What a string field accepts from this scalar, None when it accepts nothing.

    YAML: the scalar as written for every non-null scalar, because Gitpod (Go yaml) reads `PORT: 3000`
    into a string field as "3000". JSON: only real strings, JSON is explicitly typed.
    """
    line: int


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    key_line: int
    value: Node


@dataclass(frozen=True, slots=True)
class MappingNode:
    entries: tuple[Entry, ...]
    """In document order; duplicate keys are kept so the reader can warn about them."""
    line: int


@dataclass(frozen=True, slots=True)
class SequenceNode:
    items: tuple[Node, ...]
    line: int


Node = ScalarNode | MappingNode | SequenceNode


def describe(node: Node) -> str:
    """A node's kind in words, for error messages ("got a list")."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def map_strings(node: Node, change: Callable[[str], str]) -> Node:
    """The same tree with `change` applied to every string value (keys are left alone)."""
    if isinstance(node, MappingNode):
        entries = tuple(Entry(e.key, e.key_line, map_strings(e.value, change)) for e in node.entries)
        return MappingNode(entries, node.line)
    if isinstance(node, SequenceNode):
        return SequenceNode(tuple(map_strings(item, change) for item in node.items), node.line)
    if isinstance(node.value, str):
        changed = change(node.value)
        return ScalarNode(changed, changed if node.text is not None else None, node.line)
    return node
