"""YAML text → positioned tree, via PyYAML's composer (which keeps marks, unlike `safe_load`).

Only the composer's node graph is used; scalars are typed with PyYAML's safe resolver rules (so
`port: 3000` is a number and `yes` a boolean, as YAML 1.1 and Gitpod's Go parser see them), and no
object is ever constructed from a tag. Anchors and aliases are shared nodes in the composer's graph;
they are converted once (an alias bomb stays small) and a recursive alias is rejected.
"""

from __future__ import annotations

import yaml

from domain.config.tree import Entry, MappingNode, Node, ScalarNode, ScalarValue, SequenceNode
from domain.errors import InvalidConfig

MAX_DEPTH = 64
"""No config needs more nesting; a limit keeps hostile input from exhausting the stack."""

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


def parse_yaml(text: str, *, file: str) -> Node | None:
    """The document's tree, None for an empty document. Raises InvalidConfig with the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "syntax error"
        raise InvalidConfig(
            f"invalid YAML: {problem}", file=file, line=None if mark is None else mark.line + 1
        ) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise InvalidConfig(f"invalid YAML: {error.reason}", file=file, line=line) from None
    except yaml.YAMLError as error:
        raise InvalidConfig(f"invalid YAML: {error}", file=file) from None
    except RecursionError:
        raise InvalidConfig("invalid YAML: nested too deeply", file=file) from None
    if root is None:
        return None
    return _Converter(file).convert(root, 1, root.start_mark.line + 1)


class _Converter:
    def __init__(self, file: str) -> None:
        self._file = file
        self._done: dict[int, Node] = {}
        self._active: set[int] = set()
        self._constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, depth: int, used_at: int) -> Node:
        """`used_at`: the line that refers to the node (for an alias, not where its anchor is)."""
        key = id(node)
        if key in self._done:
            return self._done[key]
        line = node.start_mark.line + 1
        if key in self._active:
            raise InvalidConfig("invalid YAML: an alias refers to itself", file=self._file, line=used_at)
        if depth > MAX_DEPTH:
            raise InvalidConfig("invalid YAML: nested too deeply", file=self._file, line=line)
        self._active.add(key)
        try:
            result = self._convert(node, depth, line)
        finally:
            self._active.discard(key)
        self._done[key] = result
        return result

    def _convert(self, node: yaml.Node, depth: int, line: int) -> Node:
        if isinstance(node, yaml.MappingNode):
            return MappingNode(tuple(self._entries(node, depth)), line)
        if isinstance(node, yaml.SequenceNode):
            # An alias item has no position of its own in the composed graph: the list's line stands in.
            items = tuple(self.convert(item, depth + 1, line) for item in node.value)
            return SequenceNode(items, line)
        assert isinstance(node, yaml.ScalarNode)
        value = self._scalar(node, line)
        return ScalarNode(value, None if value is None else str(node.value), line)

    def _scalar(self, node: yaml.ScalarNode, line: int) -> ScalarValue:
        # Only the core tags get a typed value; any other tag (a timestamp, `!Ref`, `!!binary`)
        # stays the text it was written as, which is what a string field wants anyway.
        try:
            if node.tag == _NULL:
                return None
            if node.tag == _BOOL:
                return bool(self._constructor.construct_yaml_bool(node))
            if node.tag == _INT:
                return int(self._constructor.construct_yaml_int(node))
            if node.tag == _FLOAT:
                return float(self._constructor.construct_yaml_float(node))
        except (ValueError, KeyError, yaml.YAMLError):
            # e.g. `!!int abc`, or an integer too long for Python to convert
            raise InvalidConfig(
                f"invalid YAML: {node.value[:40]!r} is not a valid {node.tag.rsplit(':', 1)[-1]}",
                file=self._file,
                line=line,
            ) from None
        return str(node.value)

    def _entries(self, node: yaml.MappingNode, depth: int) -> list[Entry]:
        explicit: list[Entry] = []
        merged: list[Entry] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE:
                merged.extend(self._merged(value_node, depth, key_line))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise InvalidConfig("invalid YAML: a key must be a plain value", file=self._file, line=key_line)
            explicit.append(Entry(str(key_node.value), key_line, self.convert(value_node, depth + 1, key_line)))
        # `<<: *defaults`: merged keys come first and lose to explicit ones (YAML merge key rules),
        # so they are dropped here rather than reported as duplicates.
        explicit_keys = {entry.key for entry in explicit}
        seen: set[str] = set()
        kept: list[Entry] = []
        for entry in merged:
            if entry.key not in explicit_keys and entry.key not in seen:
                seen.add(entry.key)
                kept.append(entry)
        return kept + explicit

    def _merged(self, value_node: yaml.Node, depth: int, key_line: int) -> list[Entry]:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        result: list[Entry] = []
        for source in sources:
            converted = self.convert(source, depth + 1, key_line)
            if not isinstance(converted, MappingNode):
                raise InvalidConfig("invalid YAML: `<<` merges only mappings", file=self._file, line=key_line)
            result.extend(converted.entries)
        return result
