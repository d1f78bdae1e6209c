from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.compatibility import backward_transitive_problems, resolution_problems
from schemas.registry import SchemaRegistry, default_registry


def record(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "Thing", "fields": list(fields)}


def test_every_kept_schema_version_is_readable_by_the_current_one() -> None:
    assert backward_transitive_problems(default_registry()) == {}


def test_adding_a_field_without_default_breaks_old_events() -> None:
    problems = resolution_problems(record({"name": "a", "type": "string"}),
                                   record({"name": "a", "type": "string"}, {"name": "b", "type": "long"}))
    assert problems == ["b: added without a default, so old events cannot be read"]


def test_adding_a_field_with_default_is_compatible() -> None:
    assert resolution_problems(record(), record({"name": "b", "type": "long", "default": 0})) == []


def test_removing_a_field_is_compatible_for_readers() -> None:
    assert resolution_problems(record({"name": "a", "type": "string"}), record()) == []


def test_promotions_follow_the_avro_spec() -> None:
    assert resolution_problems("int", "long") == []
    assert resolution_problems("long", "double") == []
    assert resolution_problems("long", "int") == ["<root>: writer's long cannot be read as int"]
    assert resolution_problems("string", "long") != []


def test_narrowing_an_optional_field_breaks() -> None:
    problems = resolution_problems(record({"name": "r", "type": ["null", "string"], "default": None}),
                                   record({"name": "r", "type": "string"}))
    assert problems and problems[0].startswith("r:")


def test_enum_symbols_removed_without_default_break() -> None:
    writer = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    reader = {"type": "enum", "name": "E", "symbols": ["A"]}
    assert resolution_problems(writer, reader) != []
    assert resolution_problems(writer, {**reader, "default": "A"}) == []


def test_nested_paths_are_named() -> None:
    writer = record({"name": "items", "type": {"type": "array", "items": "string"}})
    reader = record({"name": "items", "type": {"type": "array", "items": "long"}})
    assert resolution_problems(writer, reader) == ["items[]: writer's string cannot be read as long"]


def test_the_transitive_check_reports_which_version_breaks(tmp_path: Path) -> None:
    folder = tmp_path / "thing.happened"
    folder.mkdir()
    (folder / "v1.avsc").write_text(json.dumps(record({"name": "a", "type": "string"})))
    (folder / "v2.avsc").write_text(json.dumps(record({"name": "a", "type": "string"},
                                                      {"name": "b", "type": "long", "default": 1})))
    (folder / "v3.avsc").write_text(json.dumps(record({"name": "a", "type": "long"},
                                                      {"name": "b", "type": "long", "default": 1})))
    report = backward_transitive_problems(SchemaRegistry.load(tmp_path))
    assert list(report) == ["thing.happened"]
    assert any(p.startswith("v1 -> v3: a:") for p in report["thing.happened"])
    assert any(p.startswith("v2 -> v3: a:") for p in report["thing.happened"])
