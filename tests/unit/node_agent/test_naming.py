"""Names derived from ids: stable, short, safe for the engine and the blob store."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from infra.blobs.keys import check_key
from node_agent.instance import GitSource, InstanceRef
from node_agent.naming import backup_key, container_name, instance_short, volume_name


def test_instance_short_forms() -> None:
    assert instance_short("3F2A9C1E-5b7d-4c1a-9e8f-0a1b2c3d4e5f") == "3f2a9c1e"
    assert instance_short("i1") == "i1"
    # Long non-UUID ids are digested: their prefixes would collide.
    assert instance_short("instance-000001") != instance_short("instance-000002")
    assert len(instance_short("instance-000001")) == 10
    assert instance_short("i-1") != instance_short("i1")


def test_names_and_keys() -> None:
    assert container_name("amber-otter-k3x9qa", "i1") == "berth-amber-otter-k3x9qa-i1"
    assert volume_name("amber-otter-k3x9qa") == "berth-ws-amber-otter-k3x9qa"
    key = backup_key("amber-otter-k3x9qa", "3f2a9c1e-5b7d-4c1a-9e8f-0a1b2c3d4e5f")
    assert key == "backups/amber-otter-k3x9qa/3f2a9c1e-5b7d-4c1a-9e8f-0a1b2c3d4e5f.tar.zst"
    assert check_key(key) == key


@pytest.mark.parametrize(("workspace_id", "instance_id"), [
    ("Amber", "i1"), ("amber_otter", "i1"), ("-amber", "i1"), ("amber", ""), ("amber", "../x"), ("amber", "a/b"),
    ("amber", ".hidden"), ("amber", "x" * 129),
])
def test_invalid_ids_are_rejected(workspace_id: str, instance_id: str) -> None:
    with pytest.raises(InvalidInput):
        InstanceRef(workspace_id, instance_id)


@pytest.mark.parametrize("location", ["", "/abs", "../up", "a/../../b", ".", "./a"])
def test_checkout_locations_stay_below_workspace(location: str) -> None:
    with pytest.raises(InvalidInput, match="checkout location"):
        GitSource("file:///r", location)


def test_valid_checkout_locations() -> None:
    assert GitSource("file:///r", "repo").checkout_location == "repo"
    assert GitSource("file:///r", "a/b/").checkout_location == "a/b/"
