"""Every event schema version kept in `schemas/avro/<type>/v<N>.avsc`, indexed by type and fingerprint.

The fingerprint is Avro's CRC-64-AVRO of the schema's parsing canonical form: it identifies the writer
schema of each stored event, so a reader can always resolve old payloads against the current schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint, to_parsing_canonical_form

from domain.errors import PermanentError

SCHEMA_DIR = Path(__file__).parent / "avro"
_VERSION_FILE = re.compile(r"^v(\d+)\.avsc$")


class UnknownSchema(PermanentError):
    """An event names a type or writer-schema fingerprint this build does not know."""


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    event_type: str
    version: int
    path: Path
    raw: dict[str, Any]
    parsed: Any
    fingerprint: str


class SchemaRegistry:
    def __init__(self, versions: list[SchemaVersion]) -> None:
        self._by_type: dict[str, list[SchemaVersion]] = {}
        self._by_fingerprint: dict[str, SchemaVersion] = {}
        for version in sorted(versions, key=lambda v: (v.event_type, v.version)):
            self._by_type.setdefault(version.event_type, []).append(version)
            self._by_fingerprint[version.fingerprint] = version
        for event_type, kept in self._by_type.items():
            numbers = [v.version for v in kept]
            if numbers != list(range(1, len(numbers) + 1)):
                raise ValueError(f"schema versions of {event_type!r} are not 1..n without gaps: {numbers}")

    @classmethod
    def load(cls, directory: Path = SCHEMA_DIR) -> SchemaRegistry:
        versions = []
        for path in sorted(directory.glob("*/v*.avsc")):
            match = _VERSION_FILE.match(path.name)
            if match is None:
                raise ValueError(f"{path}: schema files are named v<N>.avsc")
            raw = json.loads(path.read_text())
            canonical = to_parsing_canonical_form(raw)
            versions.append(
                SchemaVersion(
                    event_type=path.parent.name,
                    version=int(match.group(1)),
                    path=path,
                    raw=raw,
                    # With fastavro's "parsed" marker: without it every read and write parses it again.
                    parsed=parse_schema(raw),
                    fingerprint=fingerprint(canonical, "CRC-64-AVRO"),
                )
            )
        return cls(versions)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    def versions(self, event_type: str) -> list[SchemaVersion]:
        try:
            return list(self._by_type[event_type])
        except KeyError:
            raise UnknownSchema(f"no schema for event type {event_type!r}") from None

    def current(self, event_type: str) -> SchemaVersion:
        return self.versions(event_type)[-1]

    def by_fingerprint(self, event_type: str, schema_fingerprint: str) -> SchemaVersion:
        version = self._by_fingerprint.get(schema_fingerprint)
        if version is None:
            raise UnknownSchema(
                f"event type {event_type!r} was written with schema {schema_fingerprint!r}, "
                "which is not among the kept schema versions"
            )
        if version.event_type != event_type:
            raise UnknownSchema(
                f"schema {schema_fingerprint!r} belongs to {version.event_type!r}, not {event_type!r}"
            )
        return version


@cache
def default_registry() -> SchemaRegistry:
    return SchemaRegistry.load()
