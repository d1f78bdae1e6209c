from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError, field_validator

from domain.events import DomainEvent
from domain.workspace.events import InstancePhaseChanged, WorkspaceCreated
from schemas.codec import EventCodec, UndecodableEvent, _constructible
from schemas.registry import SCHEMA_DIR, SchemaRegistry, UnknownSchema, default_registry

CODEC = EventCodec()


@given(st.text(), st.text(), st.text(), st.text())
def test_events_round_trip(workspace_id: str, owner: str, url: str, workspace_class: str) -> None:
    event = WorkspaceCreated(workspace_id=workspace_id, owner=owner, context_url=url,
                             workspace_class=workspace_class)
    encoded = CODEC.encode(event)
    assert encoded.schema == default_registry().current("workspace.created").fingerprint
    assert CODEC.decode(encoded.event_type, encoded.schema, encoded.payload) == event


@given(st.none() | st.text())
def test_optional_fields_round_trip(reason: str | None) -> None:
    event = InstancePhaseChanged(instance_id="i", phase="failed", reason=reason)
    encoded = CODEC.encode(event)
    assert CODEC.decode(encoded.event_type, encoded.schema, encoded.payload) == event


def test_an_old_version_is_read_with_the_current_schema() -> None:
    v1 = default_registry().versions("workspace.created")[0]
    buffer = io.BytesIO()
    schemaless_writer(buffer, v1.parsed, {"workspace_id": "a-b-c", "owner": "o", "context_url": "u"})
    decoded = CODEC.decode("workspace.created", v1.fingerprint, buffer.getvalue())
    assert decoded == WorkspaceCreated(workspace_id="a-b-c", owner="o", context_url="u", workspace_class="default")


def test_an_unknown_fingerprint_is_a_clear_error() -> None:
    with pytest.raises(UnknownSchema, match="deadbeef"):
        CODEC.decode("workspace.created", "deadbeef", b"")


def test_a_fingerprint_of_another_type_is_refused() -> None:
    other = default_registry().current("workspace.deleted").fingerprint
    with pytest.raises(UnknownSchema, match=r"belongs to 'workspace\.deleted'"):
        CODEC.decode("workspace.created", other, b"\x00")


def test_an_unknown_type_is_a_clear_error() -> None:
    with pytest.raises(UnknownSchema, match="no schema for event type 'nope'"):
        default_registry().current("nope")


@given(st.binary(max_size=64))
def test_garbage_payloads_never_crash_the_decoder(payload: bytes) -> None:
    schema = default_registry().current("workspace.created").fingerprint
    with contextlib.suppress(UndecodableEvent):
        CODEC.decode("workspace.created", schema, payload)  # either decodes or says it cannot


def test_trailing_bytes_are_refused() -> None:
    encoded = CODEC.encode(InstancePhaseChanged(instance_id="i", phase="running"))
    with pytest.raises(UndecodableEvent, match="trailing"):
        CODEC.decode(encoded.event_type, encoded.schema, encoded.payload + b"\x00")


def test_version_gaps_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "thing.happened"
    folder.mkdir()
    schema = {"type": "record", "name": "T", "fields": []}
    (folder / "v1.avsc").write_text(json.dumps(schema))
    (folder / "v3.avsc").write_text(json.dumps(schema))
    with pytest.raises(ValueError, match="without gaps"):
        SchemaRegistry.load(tmp_path)


def test_the_kept_schemas_all_parse() -> None:
    for path in SCHEMA_DIR.glob("*/v*.avsc"):
        parse_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("version", [1, 2])
def test_workspace_created_before_the_ide_choice_reads_as_vscode(version: int) -> None:
    writer = default_registry().versions("workspace.created")[version - 1]
    record = {"workspace_id": "a-b-c", "owner": "o", "context_url": "u", "workspace_class": "large"}
    buffer = io.BytesIO()
    schemaless_writer(buffer, writer.parsed, record)
    decoded = CODEC.decode("workspace.created", writer.fingerprint, buffer.getvalue())
    assert isinstance(decoded, WorkspaceCreated) and decoded.ide == "vscode"
    assert decoded.workspace_class == ("large" if version == 2 else "default")


def test_workspace_created_v3_keeps_the_ide() -> None:
    event = WorkspaceCreated(workspace_id="a-b-c", owner="o", context_url="u", ide="none")
    encoded = CODEC.encode(event)
    assert default_registry().current("workspace.created").version == 3
    assert CODEC.decode(encoded.event_type, encoded.schema, encoded.payload) == event


# -- decode_trusted: the projection runner's decode of payloads read back from the store -----------------


@given(st.text(), st.text(), st.text(), st.text())
def test_trusted_decoding_equals_validated_decoding(workspace_id: str, owner: str, url: str, ide: str) -> None:
    event = WorkspaceCreated(workspace_id=workspace_id, owner=owner, context_url=url, ide=ide)
    encoded = CODEC.encode(event)
    trusted = CODEC.decode_trusted(encoded.event_type, encoded.schema, encoded.payload)
    validated = CODEC.decode(encoded.event_type, encoded.schema, encoded.payload)
    assert trusted == event == validated
    assert type(trusted) is WorkspaceCreated and trusted.model_fields_set == validated.model_fields_set


@pytest.mark.parametrize("version", [1, 2, 3])
def test_trusted_decoding_upcasts_every_kept_version_of_workspace_created(version: int) -> None:
    writer = default_registry().versions("workspace.created")[version - 1]
    record = {"workspace_id": "a-b-c", "owner": "o", "context_url": "u", "workspace_class": "large", "ide": "none"}
    buffer = io.BytesIO()
    schemaless_writer(buffer, writer.parsed, record)
    trusted = CODEC.decode_trusted("workspace.created", writer.fingerprint, buffer.getvalue())
    assert trusted == CODEC.decode("workspace.created", writer.fingerprint, buffer.getvalue())
    assert isinstance(trusted, WorkspaceCreated)
    assert (trusted.workspace_class, trusted.ide) == {1: ("default", "vscode"), 2: ("large", "vscode"),
                                                      3: ("large", "none")}[version]


def test_trusted_decoding_keeps_optional_fields_and_models_frozen() -> None:
    event = InstancePhaseChanged(instance_id="i", phase="failed", reason=None)
    encoded = CODEC.encode(event)
    trusted = CODEC.decode_trusted(encoded.event_type, encoded.schema, encoded.payload)
    assert trusted == event and trusted.model_dump() == event.model_dump()
    with pytest.raises(ValidationError):
        trusted.phase = "running"  # type: ignore[misc]


def test_trusted_decoding_refuses_what_decoding_refuses() -> None:
    encoded = CODEC.encode(InstancePhaseChanged(instance_id="i", phase="running"))
    with pytest.raises(UndecodableEvent, match="trailing"):
        CODEC.decode_trusted(encoded.event_type, encoded.schema, encoded.payload + b"\x00")
    with pytest.raises(UnknownSchema, match="deadbeef"):
        CODEC.decode_trusted("workspace.created", "deadbeef", b"")


@given(st.binary(max_size=64))
def test_garbage_payloads_never_crash_the_trusted_decoder(payload: bytes) -> None:
    schema = default_registry().current("workspace.created").fingerprint
    with contextlib.suppress(UndecodableEvent):
        CODEC.decode_trusted("workspace.created", schema, payload)


def test_every_event_model_is_built_without_revalidation() -> None:
    """Every current model qualifies for the fast path; a model with a validator or a field Avro does not
    check would not (then decode_trusted validates, like decode)."""
    registry = default_registry()
    for event_type, model in DomainEvent.registry.items():
        assert _constructible(model, registry.current(event_type).raw), event_type

    class Checked(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def short(cls, value: str) -> str:
            return value

    class Nested(BaseModel):
        inner: Checked

    fields = {"fields": [{"name": "name"}]}
    assert not _constructible(Checked, fields)  # type: ignore[arg-type]
    assert not _constructible(Nested, {"fields": [{"name": "inner"}]})  # type: ignore[arg-type]
