"""Backup, removal and restore: content is never lost, and never deleted without a confirmed backup."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.blobs import LocalBlobStore
from infra.blobs.local import INCOMING
from node_agent.content.marker import read_marker
from node_agent.docker_runtime import DockerRuntime
from node_agent.engine import Engine
from node_agent.errors import BackupCorrupt, BackupMissing, WorkspaceBackupFailed
from node_agent.instance import ContentSource, GitSource, InstanceRef
from node_agent.progress import Progress, Stage
from tests.integration.blobs.unwritable import unwritable
from tests.integration.node_agent.workspaces import SupervisorFiles, make_repo, new_ref, run, spec_for

pytestmark = pytest.mark.docker

WRITE_WORK = (
    "cd /workspace/app && echo 'unsaved thoughts' > notes.txt && mkdir -p deep/er && head -c 3000000 /dev/urandom"
    " > deep/er/blob.bin && sha256sum deep/er/blob.bin > /workspace/blob.sum && chmod 640 notes.txt"
)
CHECK_WORK = "cd /workspace/app && cat notes.txt && stat -c '%a %U' notes.txt && sha256sum -c /workspace/blob.sum"


async def running_workspace(runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles,
                            repo_url: str, ref: InstanceRef | None = None) -> InstanceRef:
    ref = ref or new_ref()
    created = await runtime.create(spec_for(ref, supervisor))
    await runtime.init_content(created, git=GitSource(repo_url, "app"))
    await runtime.start(ref)
    code, out = run(engine, ref.container_name, WRITE_WORK)
    assert code == 0, out
    return ref


async def volume_exists(runtime: DockerRuntime, workspace_id: str) -> bool:
    return (await runtime.reconcile()).has_volume(workspace_id)


async def test_backup_remove_and_restore_into_a_new_instance(
    runtime: DockerRuntime, engine: Engine, blobs: LocalBlobStore, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "origin")
    first = await running_workspace(runtime, engine, supervisor, repo.url)
    assert await runtime.stop(first, timeout=5)

    seen: list[Progress] = []
    backup = await runtime.backup(first, on_progress=seen.append)
    assert backup.key == f"backups/{first.workspace_id}/{first.instance_id}.tar.zst"
    assert await blobs.size(backup.key) == backup.bytes > 0
    assert backup.uncompressed_bytes > 3_000_000 and backup.seconds > 0
    final = seen[-1]
    assert final.done and final.stage is Stage.BACKUP
    assert (final.bytes, final.compressed_bytes) == (backup.uncompressed_bytes, backup.bytes)

    # Without a confirmed backup the volume stays; with one it goes.
    kept = await runtime.remove(first)
    assert (kept.container_removed, kept.volume_removed) == (True, False)
    assert await volume_exists(runtime, first.workspace_id)
    gone = await runtime.remove(first, confirmed_backup=backup.key)
    assert (gone.container_removed, gone.volume_removed) == (False, True)
    assert not await volume_exists(runtime, first.workspace_id)

    second = InstanceRef(first.workspace_id, "second-instance")
    created = await runtime.create(spec_for(second, supervisor))
    assert not created.volume_reused
    seen.clear()
    restored = await runtime.init_content(created, backup=backup.key, git=GitSource(repo.url, "app"),
                                          on_progress=seen.append)
    assert restored.source is ContentSource.BACKUP
    assert restored.bytes == backup.uncompressed_bytes
    final = seen[-1]
    assert final.done and final.stage is Stage.RESTORE and final.compressed_bytes == backup.bytes
    await runtime.start(second)
    code, out = run(engine, second.container_name, CHECK_WORK + " && git -C /workspace/app status --porcelain")
    assert code == 0, out
    assert out.split("\n")[:3] == ["unsaved thoughts", "640 berth", "deep/er/blob.bin: OK"], out
    assert "?? deep/" in out and "?? notes.txt" in out
    code, out = run(engine, second.container_name, "readlink /workspace/app/passwd-link && stat -c %U /workspace")
    assert (code, out.split()) == (0, ["/etc/passwd", "berth"]), out


async def test_a_failed_backup_raises_and_keeps_the_volume(
    runtime: DockerRuntime, engine: Engine, blobs: LocalBlobStore, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "origin")
    ref = await running_workspace(runtime, engine, supervisor, repo.url)
    await runtime.stop(ref, timeout=5)
    (blobs.root / INCOMING).mkdir(parents=True)
    with unwritable(blobs.root / INCOMING), pytest.raises(WorkspaceBackupFailed) as failure:
        await runtime.backup(ref)
    assert "BlobWriteFailed" in failure.value.reason
    assert not await blobs.exists(ref.backup_key)

    # Told the (never confirmed) backup is there, removal refuses to drop the volume.
    with pytest.raises(BackupMissing):
        await runtime.remove(ref, confirmed_backup=ref.backup_key)
    assert await volume_exists(runtime, ref.workspace_id)

    # The next instance finds the kept volume complete and uses it as it is.
    later = InstanceRef(ref.workspace_id, "later")
    created = await runtime.create(spec_for(later, supervisor))
    assert created.volume_reused
    result = await runtime.init_content(created, git=GitSource(repo.url, "app"))
    assert result.source is ContentSource.VOLUME
    # The kept content is this instance's now, a restart (init ran for it before): what its supervisor waits for.
    marker = read_marker(engine, later.container_name)
    assert marker is not None and (marker.instance_id, marker.start_mode) == ("later", "restart")
    await runtime.start(later)
    code, out = run(engine, later.container_name, CHECK_WORK)
    assert code == 0 and "unsaved thoughts" in out, out


async def test_a_volume_whose_instance_container_vanished_is_still_backed_up(
    runtime: DockerRuntime, engine: Engine, blobs: LocalBlobStore, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "origin")
    ref = await running_workspace(runtime, engine, supervisor, repo.url)
    engine.api.remove_container(ref.container_name, force=True)  # behind the runtime's back
    backup = await runtime.backup(ref)
    assert (await runtime.remove(ref, confirmed_backup=backup.key)).volume_removed

    again = InstanceRef(ref.workspace_id, "again")
    created = await runtime.create(spec_for(again, supervisor))
    assert (await runtime.init_content(created, backup=backup.key)).source is ContentSource.BACKUP
    await runtime.start(again)
    code, out = run(engine, again.container_name, CHECK_WORK)
    assert code == 0 and "unsaved thoughts" in out, out


async def test_an_interrupted_init_is_done_again_not_trusted(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    """A volume left by an instance whose content init never finished has no marker of its own."""
    repo = make_repo(tmp_path / "origin")
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor))  # created, but content init never ran
    await runtime.remove(ref)
    retry = InstanceRef(ref.workspace_id, "retry")
    created = await runtime.create(spec_for(retry, supervisor))
    assert created.volume_reused
    result = await runtime.init_content(created, git=GitSource(repo.url, "app"))
    assert result.source is ContentSource.GIT


async def test_restoring_a_missing_or_cut_short_backup_fails_typed(
    runtime: DockerRuntime, blobs: LocalBlobStore, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "origin")
    ref = new_ref()
    created = await runtime.create(spec_for(ref, supervisor))
    with pytest.raises(BackupMissing):
        await runtime.init_content(created, backup=f"backups/{ref.workspace_id}/never.tar.zst",
                                   git=GitSource(repo.url, "app"))
    await runtime.init_content(created, git=GitSource(repo.url, "app"))
    backup = await runtime.backup(ref)
    whole = blobs.path_of(backup.key).read_bytes()
    await blobs.put("backups/cut/short.tar.zst", [whole[: len(whole) - 40]])
    fresh = InstanceRef(f"{ref.workspace_id}-b", "fresh")
    created = await runtime.create(spec_for(fresh, supervisor))
    with pytest.raises(BackupCorrupt, match="cut short"):
        await runtime.init_content(created, backup="backups/cut/short.tar.zst")
