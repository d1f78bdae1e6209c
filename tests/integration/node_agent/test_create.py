"""Creating and starting workspace containers: limits, isolation, mounts, the loopback-only port."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import docker
import pytest

from domain.errors import Unavailable
from infra.blobs import LocalBlobStore
from infra.images.errors import ImageNotFound
from node_agent.container_config import CAPABILITIES, ENTRYPOINT
from node_agent.docker_runtime import DockerRuntime
from node_agent.engine import Engine
from node_agent.errors import (
    ContainerExists,
    ContainerNotFound,
    ContainerStoppedEarly,
    SupervisorFileMissing,
    UnknownWorkspaceClass,
    WorkspaceBackupFailed,
)
from node_agent.naming import LABEL_INSTANCE, LABEL_NODE, LABEL_WORKSPACE, SUPERVISOR_PORT
from node_agent.runtime_events import ContainerDied
from tests.integration.node_agent.workspaces import SupervisorFiles, new_ref, run, spec_for

pytestmark = pytest.mark.docker

GiB = 1 << 30


async def test_create_applies_the_class_limits_and_isolation(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, node: str
) -> None:
    ref = new_ref()
    created = await runtime.create(spec_for(ref, supervisor))
    assert not created.volume_reused
    info = engine.inspect_container(created.container_id)

    assert info["Name"] == f"/{ref.container_name}"
    assert ref.container_name.startswith(f"berth-{ref.workspace_id}-")
    labels = info["Config"]["Labels"]
    assert labels[LABEL_WORKSPACE] == ref.workspace_id
    assert labels[LABEL_INSTANCE] == ref.instance_id
    assert labels[LABEL_NODE] == node

    host = info["HostConfig"]
    assert host["NanoCpus"] == 2_000_000_000
    assert host["Memory"] == 4 * GiB
    assert host["MemorySwap"] == 4 * GiB
    assert host["PidsLimit"] == 2048
    assert host["Privileged"] is False
    assert host["CapDrop"] == ["ALL"]
    assert sorted(host["CapAdd"]) == sorted(CAPABILITIES)
    assert "SYS_ADMIN" not in host["CapAdd"] and "NET_RAW" not in host["CapAdd"]

    assert info["Config"]["Entrypoint"] == ENTRYPOINT
    assert info["Config"]["User"] == "root"
    mounts = {mount["Destination"]: mount for mount in info["Mounts"]}
    assert set(mounts) == {"/workspace", "/.berth/supervisor", "/.berth/config.json"}
    assert mounts["/workspace"]["Type"] == "volume"
    assert mounts["/workspace"]["Name"] == ref.volume_name
    assert mounts["/.berth/supervisor"]["RW"] is False
    assert mounts["/.berth/supervisor"]["Source"] == str(supervisor.binary)
    assert mounts["/.berth/config.json"]["RW"] is False
    assert not any("docker.sock" in str(mount.get("Source")) for mount in info["Mounts"])


async def test_start_publishes_the_supervisor_port_on_loopback_only(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles
) -> None:
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor))
    started = await runtime.start(ref)
    assert started.supervisor_address == ("127.0.0.1", started.supervisor_port)
    bindings = engine.inspect_container(ref.container_name)["NetworkSettings"]["Ports"][f"{SUPERVISOR_PORT}/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": str(started.supervisor_port)}]
    # The engine's proxy accepts on loopback (nothing listens inside yet, so the stream just ends).
    with socket.create_connection(started.supervisor_address, timeout=5):
        pass

    # The supervisor runs as root, reads its files, and cannot write them; the user gets sudo.
    code, out = run(engine, ref.container_name, "ps -o user=,args= -p 1,$(pgrep -f 'sleep infinity') ", user="root")
    assert code == 0 and "root" in out
    code, out = run(engine, ref.container_name, "cat /.berth/config.json && ! touch /.berth/supervisor", user="root")
    assert code == 0, out
    code, out = run(engine, ref.container_name, "sudo -n id -u && id -u && stat -c %U /workspace")
    assert (code, out.split()) == (0, ["0", "33333", "berth"]), out


async def test_a_workspace_class_sets_other_limits(runtime: DockerRuntime, engine: Engine,
                                                  supervisor: SupervisorFiles) -> None:
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor, workspace_class="small"))
    host = engine.inspect_container(ref.container_name)["HostConfig"]
    assert (host["NanoCpus"], host["Memory"], host["PidsLimit"]) == (1_000_000_000, 2 * GiB, 1024)


async def test_create_fails_typed_and_leaves_nothing_behind(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, tmp_path: Path, node: str
) -> None:
    ref = new_ref()
    with pytest.raises(ImageNotFound):
        await runtime.create(spec_for(ref, supervisor, image="berth/never-built:nope"))
    with pytest.raises(UnknownWorkspaceClass):
        await runtime.create(spec_for(ref, supervisor, workspace_class="huge"))
    missing = SupervisorFiles(tmp_path / "absent", supervisor.config)
    with pytest.raises(SupervisorFileMissing, match="supervisor binary"):
        await runtime.create(spec_for(ref, missing))
    snapshot = await runtime.reconcile()
    assert snapshot.instances == () and snapshot.volumes == ()

    await runtime.create(spec_for(ref, supervisor))
    with pytest.raises(ContainerExists):
        await runtime.create(spec_for(ref, supervisor))
    assert (await runtime.reconcile()).has_volume(ref.workspace_id), "a failed create never removes a used volume"


async def test_operations_on_a_missing_container_say_so(runtime: DockerRuntime) -> None:
    ref = new_ref()
    with pytest.raises(ContainerNotFound):
        await runtime.start(ref)
    assert await runtime.stop(ref) is False
    removal = await runtime.remove(ref)
    assert (removal.container_removed, removal.volume_removed) == (False, False)


async def test_a_supervisor_that_cannot_run_is_reported_with_its_exit_code(
    runtime: DockerRuntime, supervisor: SupervisorFiles
) -> None:
    supervisor.binary.chmod(0o644)  # not executable: the init in the container cannot exec it
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor))
    async with await runtime.subscribe() as events:
        # Whether start() sees the container already gone is a race; the die event is not.
        early: ContainerStoppedEarly | None = None
        try:
            await runtime.start(ref)
        except ContainerStoppedEarly as error:
            early = error
        assert early is None or early.exit_code == 126
        async with asyncio.timeout(20):
            died = await anext(event async for event in events if isinstance(event, ContainerDied))
    assert isinstance(died, ContainerDied) and died.exit_code == 126


async def test_an_unreachable_engine_is_unavailable(blobs: LocalBlobStore, supervisor: SupervisorFiles) -> None:
    # An engine address where nothing listens. (TCP, not a unix socket path: the SDK's unix
    # transport leaks its socket when the connect fails, which this suite counts as an error.)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = Engine(docker.APIClient(base_url=f"tcp://127.0.0.1:{port}", version="1.41"))
    runtime = DockerRuntime(dead, blobs, node="unreachable")
    try:
        with pytest.raises(Unavailable):
            await runtime.create(spec_for(new_ref(), supervisor))
        with pytest.raises(Unavailable):
            await runtime.reconcile()
        with pytest.raises(Unavailable):
            await runtime.subscribe()
        with pytest.raises(WorkspaceBackupFailed) as failure:
            await runtime.backup(new_ref())
        assert isinstance(failure.value.__cause__, Unavailable)
    finally:
        await runtime.close()
