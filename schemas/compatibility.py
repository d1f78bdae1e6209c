"""BACKWARD_TRANSITIVE compatibility: the current schema of each type must read every kept version.

Two checks, both needed: the structural rules of Avro schema resolution (which name the field that
breaks), and a round trip of generated records written with each old schema and read with the new one
(which catches anything the rules above miss).
"""

from __future__ import annotations

import io
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.utils import generate_many

from schemas.registry import SchemaRegistry

_PROMOTIONS: dict[str, set[str]] = {
    "int": {"int", "long", "float", "double"},
    "long": {"long", "float", "double"},
    "float": {"float", "double"},
    "string": {"string", "bytes"},
    "bytes": {"bytes", "string"},
}


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        return str(schema["type"]) if isinstance(schema["type"], str) else _kind(schema["type"])
    return str(schema)


def _short_name(schema: dict[str, Any]) -> str:
    return str(schema["name"]).rsplit(".", 1)[-1]


def resolution_problems(writer: Any, reader: Any, path: str = "") -> list[str]:
    """Why data written with `writer` cannot be read with `reader` (empty when it can)."""
    where = path or "<root>"
    writer_kind, reader_kind = _kind(writer), _kind(reader)
    if writer_kind == "union":
        return [p for branch in writer for p in resolution_problems(branch, reader, path)]
    if reader_kind == "union":
        if any(not resolution_problems(writer, branch, path) for branch in reader):
            return []
        return [f"{where}: no branch of the reader's union accepts the writer's {writer_kind}"]
    if writer_kind in _PROMOTIONS or reader_kind in _PROMOTIONS or writer_kind in ("null", "boolean", "double"):
        if writer_kind == reader_kind or reader_kind in _PROMOTIONS.get(writer_kind, set()):
            return []
        return [f"{where}: writer's {writer_kind} cannot be read as {reader_kind}"]
    if writer_kind != reader_kind:
        return [f"{where}: writer's {writer_kind} cannot be read as {reader_kind}"]
    if writer_kind == "record":
        return _record_problems(writer, reader, path)
    if writer_kind == "enum":
        missing = set(writer["symbols"]) - set(reader["symbols"])
        if missing and "default" not in reader:
            return [f"{where}: reader's enum lacks symbols {sorted(missing)} and has no default"]
        return []
    if writer_kind == "array":
        return resolution_problems(writer["items"], reader["items"], f"{path}[]")
    if writer_kind == "map":
        return resolution_problems(writer["values"], reader["values"], f"{path}{{}}")
    if writer_kind == "fixed" and writer["size"] != reader["size"]:
        return [f"{where}: fixed size {writer['size']} cannot be read as size {reader['size']}"]
    return []


def _record_problems(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    names = {_short_name(reader), *reader.get("aliases", [])}
    if _short_name(writer) not in names:
        return [f"{path or '<root>'}: record {writer['name']} cannot be read as {reader['name']}"]
    writer_fields = {f["name"]: f for f in writer["fields"]}
    problems: list[str] = []
    for field in reader["fields"]:
        field_path = f"{path}.{field['name']}" if path else field["name"]
        source = next(
            (writer_fields[n] for n in [field["name"], *field.get("aliases", [])] if n in writer_fields), None
        )
        if source is None:
            if "default" not in field:
                problems.append(f"{field_path}: added without a default, so old events cannot be read")
            continue
        problems.extend(resolution_problems(source["type"], field["type"], field_path))
    return problems


def round_trip_problems(writer_parsed: Any, reader_parsed: Any, samples: int = 25) -> list[str]:
    problems = []
    for record in generate_many(writer_parsed, samples):
        buffer = io.BytesIO()
        schemaless_writer(buffer, writer_parsed, record)
        buffer.seek(0)
        try:
            schemaless_reader(buffer, writer_parsed, reader_parsed)
        except Exception as error:  # any failure to resolve is what this check reports
            problems.append(f"generated record {record!r} could not be read: {error!r}")
            break
    return problems


def backward_transitive_problems(registry: SchemaRegistry) -> dict[str, list[str]]:
    """For each event type, why its current schema cannot read an earlier kept version."""
    report: dict[str, list[str]] = {}
    for event_type in registry.event_types:
        versions = registry.versions(event_type)
        current = versions[-1]
        problems = []
        for old in versions[:-1]:
            for problem in resolution_problems(old.raw, current.raw) + round_trip_problems(
                old.parsed, current.parsed
            ):
                problems.append(f"v{old.version} -> v{current.version}: {problem}")
        if problems:
            report[event_type] = problems
    return report
