"""The two positioned parsers agree with the standard ones on values and know every line."""

from __future__ import annotations

import json

import yaml
from hypothesis import given
from hypothesis import strategies as st

from domain.config.jsonc import parse_jsonc
from domain.config.tree import MappingNode, Node, ScalarNode, SequenceNode
from domain.config.yaml_tree import parse_yaml

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    _json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


def plain(node: Node) -> object:
    """The tree as plain Python data, last key winning as in json.loads and yaml.safe_load."""
    if isinstance(node, MappingNode):
        return {entry.key: plain(entry.value) for entry in node.entries}
    if isinstance(node, SequenceNode):
        return [plain(item) for item in node.items]
    return node.value


def noisy_jsonc(value: object) -> str:
    """JSON with a comment around every token and a trailing comma in every container."""
    if isinstance(value, dict):
        entries = "".join(f"/* k */ {json.dumps(key)} // c\n : {noisy_jsonc(item)},\n" for key, item in value.items())
        return "{\n" + entries + "}"
    if isinstance(value, list):
        return "[ // items\n" + "".join(f"{noisy_jsonc(item)} /**/,\n" for item in value) + "]"
    return json.dumps(value)


@given(json_values, st.sampled_from([None, 0, 2]), st.booleans())
def test_jsonc_reads_json_as_json_loads_does(value: object, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert plain(parse_jsonc(text, file="f")) == json.loads(text)


@given(json_values)
def test_jsonc_ignores_comments_and_trailing_commas(value: object) -> None:
    assert plain(parse_jsonc(noisy_jsonc(value), file="f")) == json.loads(json.dumps(value))


@given(json_values)
def test_yaml_tree_reads_yaml_as_safe_load_does(value: object) -> None:
    text = yaml.safe_dump(value)
    assert plain(_some(parse_yaml(text, file="f"))) == yaml.safe_load(text)


def _some(node: Node | None) -> Node:
    assert node is not None
    return node


def test_jsonc_lines_of_keys_and_values() -> None:
    text = '// header\n{\n  "a": 1,\r\n  "b":\n    [true,\r  "x"],\n  /* c\n */ "c": {}\n}'
    root = parse_jsonc(text, file="f")
    assert isinstance(root, MappingNode)
    assert root.line == 2
    a, b, c = root.entries
    assert (a.key, a.key_line, a.value.line) == ("a", 3, 3)
    assert (b.key, b.key_line, b.value.line) == ("b", 4, 5)
    assert isinstance(b.value, SequenceNode)
    assert [item.line for item in b.value.items] == [5, 6]
    assert (c.key, c.key_line) == ("c", 8)


def test_jsonc_keeps_duplicate_keys_for_the_reader_to_warn_about() -> None:
    root = parse_jsonc('{"a": 1, "a": 2}', file="f")
    assert isinstance(root, MappingNode)
    assert [entry.key for entry in root.entries] == ["a", "a"]


def test_jsonc_text_is_only_for_strings() -> None:
    root = parse_jsonc('{"s": "3000", "n": 3000}', file="f")
    assert isinstance(root, MappingNode)
    assert [entry.value for entry in root.entries] == [
        ScalarNode("3000", "3000", 1),
        ScalarNode(3000, None, 1),
    ]


def test_jsonc_combines_surrogate_pairs() -> None:
    root = parse_jsonc('"\\ud83d\\ude80"', file="f")
    assert root == ScalarNode("\U0001f680", "\U0001f680", 1)


def test_yaml_text_is_the_scalar_as_written() -> None:
    root = parse_yaml("a: 0x1F\nb: yes\nc: ~\nd: 2024-01-01\ne: !custom tagged\n", file="f")
    assert isinstance(root, MappingNode)
    values = [(entry.value.value, entry.value.text) for entry in root.entries if isinstance(entry.value, ScalarNode)]
    assert values == [
        (31, "0x1F"),
        (True, "yes"),
        (None, None),
        ("2024-01-01", "2024-01-01"),
        ("tagged", "tagged"),
    ]


def test_yaml_lines_and_merge_keys() -> None:
    text = "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n  z: 4\n"
    root = parse_yaml(text, file="f")
    assert isinstance(root, MappingNode)
    use = root.entries[1].value
    assert isinstance(use, MappingNode)
    # merged keys first, explicit keys override them, lines point where each key was written
    assert [(e.key, e.key_line, plain(e.value)) for e in use.entries] == [
        ("x", 2, 1),
        ("y", 6, 3),
        ("z", 7, 4),
    ]


def test_an_empty_yaml_document_is_none() -> None:
    assert parse_yaml("# only a comment\n", file="f") is None
