"""The node's IDE install in a workspace: bind-mounted read-only at /.berth/ide when the spec names one,
absent otherwise, with Berth's own extension (.vsix) beside it; and the supervisor config's `ide` section that
goes with them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from domain.config.model import ImageRef, WorkspaceConfig
from domain.errors import PermanentError
from node_agent.container_config import IDE_PATH
from node_agent.docker_runtime import DockerRuntime
from node_agent.engine import Engine
from node_agent.errors import SupervisorFileMissing
from node_agent.ide import ide_directory
from node_agent.ide_extension import ide_extension_vsix
from node_agent.supervisor_config import IDE_EXTENSION_PATH, extension_entries, supervisor_config
from supervisor.config import IdeConfig, parse_config
from tests.integration.node_agent.workspaces import SupervisorFiles, new_ref, run, spec_for


@pytest.mark.docker
async def test_the_ide_directory_is_mounted_read_only(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    ide = tmp_path / "ide"
    (ide / "node" / "bin").mkdir(parents=True)
    (ide / "node" / "bin" / "marker").write_text("node 24\n")
    ref = new_ref()
    created = await runtime.create(replace(spec_for(ref, supervisor), ide_dir=ide))
    mounts = {mount["Destination"]: mount for mount in engine.inspect_container(created.container_id)["Mounts"]}
    assert mounts[IDE_PATH]["Source"] == str(ide) and mounts[IDE_PATH]["RW"] is False
    await runtime.start(ref)
    code, out = run(engine, ref.container_name, f"cat {IDE_PATH}/node/bin/marker && ! touch {IDE_PATH}/x", user="root")
    assert code == 0 and "node 24\n" in out and "Read-only file system" in out, out


@pytest.mark.docker
async def test_berths_extension_is_mounted_read_only_beside_the_ide(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    ide = tmp_path / "ide"
    ide.mkdir()
    vsix = ide_extension_vsix(environ={"BERTH_CACHE_DIR": str(tmp_path / "cache")})
    ref = new_ref()
    created = await runtime.create(replace(spec_for(ref, supervisor), ide_dir=ide, ide_extension=vsix))
    mounts = {mount["Destination"]: mount for mount in engine.inspect_container(created.container_id)["Mounts"]}
    assert mounts[IDE_EXTENSION_PATH]["Source"] == str(vsix) and mounts[IDE_EXTENSION_PATH]["RW"] is False
    await runtime.start(ref)
    # The workspace user (who runs code-server's installer) reads it.
    code, out = run(engine, ref.container_name, f"head -c 2 {IDE_EXTENSION_PATH}")
    assert code == 0 and out == "PK", out  # a zip


@pytest.mark.docker
async def test_a_missing_extension_file_is_refused_not_mounted_as_a_directory(
    runtime: DockerRuntime, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.vsix"
    with pytest.raises(SupervisorFileMissing, match="IDE extension"):
        await runtime.create(replace(spec_for(new_ref(), supervisor), ide_dir=tmp_path, ide_extension=missing))
    assert not missing.exists()


@pytest.mark.docker
async def test_no_ide_directory_no_mount(runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles) -> None:
    created = await runtime.create(spec_for(new_ref(), supervisor))
    mounts = {mount["Destination"] for mount in engine.inspect_container(created.container_id)["Mounts"]}
    assert IDE_PATH not in mounts


def test_the_supervisor_config_names_the_ide_the_supervisor_accepts() -> None:
    config = WorkspaceConfig(image=ImageRef(name="berth/base:latest"))
    url = "https://h/acme/widgets.git"
    with_ide = supervisor_config("amber-otter-k3x9qa", "i-1", config, url, "fresh", ide_port=23000)
    assert with_ide["ide"] == {"kind": "code-server", "dir": IDE_PATH, "port": 23000, "extensions": [],
                               "builtin_extensions": []}
    assert parse_config(with_ide).ide == IdeConfig("code-server", IDE_PATH, 23000)
    with_extension = supervisor_config("amber-otter-k3x9qa", "i-1", config, url, "fresh", ide_port=23000,
                                       ide_extension=True)
    assert with_extension["ide"]["builtin_extensions"] == [IDE_EXTENSION_PATH]
    parsed = parse_config(with_extension).ide
    assert parsed is not None and parsed.builtin_extensions == (IDE_EXTENSION_PATH,)
    without = supervisor_config("amber-otter-k3x9qa", "i-1", config, url, "fresh")
    assert without["ide"] is None and parse_config(without).ide is None


def test_ide_directory_from_the_environment(tmp_path: Path) -> None:
    assert ide_directory({"BERTH_IDE_DIR": "none"}) is None
    entry = tmp_path / "lib" / "node_modules" / "code-server" / "out" / "node" / "entry.js"
    entry.parent.mkdir(parents=True)
    entry.write_text("")
    assert ide_directory({"BERTH_IDE_DIR": str(tmp_path)}) == tmp_path
    with pytest.raises(PermanentError, match="not an IDE install"):
        ide_directory({"BERTH_IDE_DIR": str(tmp_path / "elsewhere")})


def test_extensions_reach_the_supervisor_with_vsix_paths_inside_the_repository() -> None:
    config = WorkspaceConfig(image=ImageRef(name="berth/base:latest"), vscode_extensions=(
        "ms-python.python", "tools/tiny.vsix", "./ext/Other.VSIX", "../outside.vsix", "/etc/x.vsix",
        "https://example.com/x.vsix"))
    document = supervisor_config("amber-otter-k3x9qa", "i-1", config, "https://h/acme/widgets.git", "fresh",
                                 ide_port=23000)
    expected = ["ms-python.python", "/workspace/widgets/tools/tiny.vsix", "/workspace/widgets/ext/Other.VSIX",
                "../outside.vsix", "/etc/x.vsix", "https://example.com/x.vsix"]
    assert document["ide"]["extensions"] == expected
    parsed = parse_config(document).ide
    assert parsed is not None and parsed.extensions == tuple(expected)
    assert extension_entries(("a/b.vsix",), "/workspace") == ["/workspace/a/b.vsix"]


def test_a_workspace_without_an_ide_gets_no_mount_and_no_ide_section(tmp_path: Path) -> None:
    from typing import cast

    from node_agent.lifecycle import NodeAgentHandler

    vsix = tmp_path / "berth.task-terminals.vsix"
    handler = NodeAgentHandler(cast(DockerRuntime, object()), tmp_path / "supervisor", tmp_path, ide_dir=tmp_path,
                               ide_extension=vsix)
    assert handler._ide_dir_for("vscode") == tmp_path
    assert handler._ide_dir_for("none") is None
    assert handler._ide_extension_for(tmp_path) == vsix
    assert handler._ide_extension_for(None) is None, "no IDE, no extension for it"
    config = WorkspaceConfig(image=ImageRef(name="berth/base:latest"), vscode_extensions=("a.b",))
    without = supervisor_config("amber-otter-k3x9qa", "i-1", config, "https://h/a/b.git", "fresh", ide_port=None)
    assert without["ide"] is None and parse_config(without).ide is None
