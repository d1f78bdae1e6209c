"""The container request is plain data: limits, isolation and mounts checked without an engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from node_agent.container_config import CAPABILITIES, ENTRYPOINT, container_request
from node_agent.errors import UnknownWorkspaceClass
from node_agent.instance import SUPERVISOR_LIB_NAME, InstanceRef, InstanceSpec, supervisor_lib_of
from node_agent.supervisor_config import IDE_EXTENSION_PATH
from node_agent.workspace_classes import WORKSPACE_CLASSES, resolve_class

REF = InstanceRef("amber-otter-k3x9qa", "3f2a9c1e-5b7d-4c1a-9e8f-0a1b2c3d4e5f")
SPEC = InstanceSpec(REF, "sha256:" + "ab" * 32, Path("/opt/berth/supervisor"), Path("/run/berth/ws/config.json"),
                    env={"EDITOR": "vim"})


def test_limits_come_from_the_class() -> None:
    request = container_request(SPEC, resolve_class("default", WORKSPACE_CLASSES), "node-1")
    assert request.host["nano_cpus"] == 2_000_000_000
    assert request.host["mem_limit"] == request.host["memswap_limit"] == 4 << 30
    assert request.host["pids_limit"] == 2048


def test_isolation() -> None:
    request = container_request(SPEC, WORKSPACE_CLASSES["default"], "node-1")
    assert request.host["privileged"] is False
    assert request.host["cap_drop"] == ["ALL"]
    assert set(request.host["cap_add"]) == set(CAPABILITIES)
    assert {"SETUID", "SETGID", "AUDIT_WRITE"} <= set(CAPABILITIES), "sudo needs these"
    assert not {"SYS_ADMIN", "NET_ADMIN", "NET_RAW", "MKNOD", "SYS_PTRACE"} & set(CAPABILITIES)
    assert "security_opt" not in request.host, "no-new-privileges would break sudo"
    assert request.create["user"] == "root"
    assert request.host["init"] is True


def test_mounts_the_volume_and_the_supervisor_files_read_only_and_nothing_else() -> None:
    binds = container_request(SPEC, WORKSPACE_CLASSES["default"], "node-1").host["binds"]
    assert binds == {
        "berth-ws-amber-otter-k3x9qa": {"bind": "/workspace", "mode": "rw"},
        "/opt/berth/supervisor": {"bind": "/.berth/supervisor", "mode": "ro"},
        "/run/berth/ws/config.json": {"bind": "/.berth/config.json", "mode": "ro"},
    }
    assert not any("docker.sock" in source for source in binds)


def test_the_runtime_of_a_onedir_supervisor_is_mounted_read_only_beside_its_executable(tmp_path: Path) -> None:
    lib = Path("/cache/supervisor/abc/supervisor-lib")
    binds = container_request(replace(SPEC, supervisor_lib=lib), WORKSPACE_CLASSES["default"], "node-1").host["binds"]
    # The bootloader of /.berth/supervisor looks for its runtime in /.berth/supervisor-lib.
    assert binds[str(lib)] == {"bind": "/.berth/supervisor-lib", "mode": "ro"}
    assert binds["/opt/berth/supervisor"] == {"bind": "/.berth/supervisor", "mode": "ro"}

    binary = tmp_path / "berth-supervisor"
    binary.write_text("")
    assert supervisor_lib_of(binary) is None, "a one-file executable stands alone"
    (tmp_path / SUPERVISOR_LIB_NAME).mkdir()
    assert supervisor_lib_of(binary) == tmp_path / "supervisor-lib"


def test_the_ide_and_berths_extension_are_mounted_read_only_together() -> None:
    vsix = Path("/cache/ide-extension/abc/berth.task-terminals.vsix")
    with_ide = replace(SPEC, ide_dir=Path("/cache/code-server/4"), ide_extension=vsix)
    binds = container_request(with_ide, WORKSPACE_CLASSES["default"], "node-1").host["binds"]
    assert binds["/cache/code-server/4"] == {"bind": "/.berth/ide", "mode": "ro"}
    assert binds[str(vsix)] == {"bind": IDE_EXTENSION_PATH, "mode": "ro"}
    # No IDE, no extension for it.
    without = container_request(replace(SPEC, ide_extension=vsix), WORKSPACE_CLASSES["default"], "node-1")
    assert str(vsix) not in without.host["binds"]


def test_identity_entrypoint_and_port() -> None:
    request = container_request(SPEC, WORKSPACE_CLASSES["default"], "node-1")
    assert request.name == "berth-amber-otter-k3x9qa-3f2a9c1e"
    assert request.create["name"] == request.name
    assert request.create["entrypoint"] == ENTRYPOINT == ["/.berth/supervisor", "serve", "--config",
                                                          "/.berth/config.json"]
    assert request.create["labels"] == {
        "berth.workspace": REF.workspace_id,
        "berth.instance": REF.instance_id,
        "berth.node": "node-1",
        "berth.class": "default",
    }
    assert request.create["environment"] == {
        "EDITOR": "vim", "BERTH_WORKSPACE_ID": REF.workspace_id, "BERTH_INSTANCE_ID": REF.instance_id,
    }
    assert request.host["port_bindings"] == {"22999/tcp": ("127.0.0.1", None)}
    assert request.create["hostname"] == REF.workspace_id


def test_unknown_classes_are_named() -> None:
    with pytest.raises(UnknownWorkspaceClass, match=r"'huge'.*default"):
        resolve_class("huge", WORKSPACE_CLASSES)
