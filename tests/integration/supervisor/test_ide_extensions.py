"""Extensions from the workspace config installed by the supervisor with the real code-server, in a container
from the base image: a tiny .vsix built here (a zip of extension/package.json and [Content_Types].xml) that the
repository holds is installed before code-server starts; a marketplace id cannot be fetched (the container has
no internet), a missing file and a URL are not installed either, and the IDE log says which and why while
the IDE starts anyway. Berth's own extension (ide_extension/), mounted read-only outside the workspace, is
installed in every workspace, over whatever version of it the workspace's IDE data holds, and only once; and
code-server's environment tells it how to reach the supervisor."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import docker
import pytest

from node_agent.ide_extension import SOURCE_DIR, build_id, ide_extension_vsix, version_of, write_vsix
from node_agent.supervisor_config import IDE_EXTENSION_PATH
from tests.integration.supervisor.client import request, status
from tests.integration.supervisor.test_container import PORT, SUPERVISOR_ARGS, config, run_in, workspace_container
from tests.waiting import eventually

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

IDE_PORT = 23000
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension=".json" ContentType="application/json"/>'
    '<Default Extension=".vsixmanifest" ContentType="text/xml"/></Types>'
)


def tiny_vsix(path: Path, publisher: str = "berthtest", name: str = "tiny", version: str = "0.0.1") -> Path:
    manifest = {"name": name, "publisher": publisher, "version": version, "displayName": "Tiny",
                "engines": {"vscode": "^1.60.0"}, "contributes": {"commands": [
                    {"command": "tiny.hello", "title": "Tiny: Hello"}]}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("extension/package.json", json.dumps(manifest))
    return path


async def test_a_vsix_from_the_repository_is_installed_and_the_rest_reported(
    docker_client: docker.DockerClient, supervisor_binary: Path, ide_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "repo-files"
    source.mkdir()
    tiny_vsix(source / "tiny.vsix")
    extensions = [
        "/workspace/repo/tools/tiny.vsix",
        "ms-python.python",
        "golang.go",
        "/workspace/repo/tools/missing.vsix",
        "https://example.com/x.vsix",
    ]
    document = config(
        workspace_location="repo",
        ide={"kind": "code-server", "dir": "/.berth/ide", "port": IDE_PORT, "extensions": extensions},
        tasks=[{"before": "mkdir -p /workspace/repo/tools && cp /src/tiny.vsix /workspace/repo/tools/",
                "command": "sleep 600"}],
    )
    mounts = {str(ide_dir): {"bind": "/.berth/ide", "mode": "ro"}, str(source): {"bind": "/src", "mode": "ro"}}
    with workspace_container(docker_client, supervisor_binary, tmp_path, document, SUPERVISOR_ARGS, mounts) as (
        container,
        port,
    ):
        async def ready() -> bool:
            try:
                return bool((await status(port))["ready"])
            except (OSError, AssertionError, ValueError):
                return False

        await eventually(ready, within=120, every=0.2)
        ide = (await status(port))["ide"]
        assert ide["state"] == "ready", ide
        outcomes = {o["extension"]: o for o in ide["extensions"]}
        assert list(outcomes) == extensions
        assert outcomes["/workspace/repo/tools/tiny.vsix"]["installed"] is True, outcomes
        assert "berthtest.tiny 0.0.1" in outcomes["/workspace/repo/tools/tiny.vsix"]["detail"]
        assert outcomes["ms-python.python"]["installed"] is False
        assert "marketplace" in outcomes["ms-python.python"]["detail"], outcomes
        # The marketplace did not answer for the first id: the second is not tried (no second wait).
        assert outcomes["golang.go"]["detail"].startswith("not tried"), outcomes
        assert outcomes["/workspace/repo/tools/missing.vsix"]["detail"] == "no such .vsix file in the repository"
        assert "repository only" in outcomes["https://example.com/x.vsix"]["detail"]

        # Installed where code-server looks for extensions, owned by the workspace user.
        listing = run_in(container, "ls", "/workspace/.berth/ide/extensions")
        assert "berthtest.tiny-0.0.1" in listing, listing
        owner = run_in(container, "stat", "-c", "%U", "/workspace/.berth/ide/extensions/berthtest.tiny-0.0.1")
        assert owner.strip() == "berth"
        listed = run_in(container, "su", "berth", "-c",
                        "/.berth/ide/node/bin/node /.berth/ide/lib/node_modules/code-server/out/node/entry.js "
                        "--extensions-dir /workspace/.berth/ide/extensions --list-extensions")
        assert "berthtest.tiny" in listed, listed

        log = (await request(port, "GET", "/_berth/ide/log")).body.decode()
        assert "berth: extension /workspace/repo/tools/tiny.vsix: installed (berthtest.tiny 0.0.1)" in log, log
        assert "berth: extension ms-python.python NOT installed: the extension marketplace is unreachable" in log
        assert "4 of 5 extensions were not installed" in log and "the IDE starts without them" in log, log
        run_in(container, "grep", "-q", "NOT installed", "/workspace/.berth/logs/ide.log")
        stderr = container.logs(stdout=False, stderr=True).decode()
        assert "extension ms-python.python not installed" in stderr, stderr


CODE_SERVER = "/.berth/ide/node/bin/node /.berth/ide/lib/node_modules/code-server/out/node/entry.js"
EXTENSIONS_DIR = "/workspace/.berth/ide/extensions"


async def _ready(port: int) -> bool:
    try:
        return bool((await status(port))["ready"])
    except (OSError, AssertionError, ValueError):
        return False


def with_berth_extension(ide_dir: Path, source: Path, vsix: Path,
                         task: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The config and mounts of a workspace with code-server, Berth's own extension as a built-in .vsix, no
    repository extensions, one task, and `source` at /src."""
    document = config(
        ide={"kind": "code-server", "dir": "/.berth/ide", "port": IDE_PORT, "builtin_extensions": [IDE_EXTENSION_PATH],
             "extensions": []},
        tasks=[task],
    )
    mounts = {str(ide_dir): {"bind": "/.berth/ide", "mode": "ro"}, str(source): {"bind": "/src", "mode": "ro"},
              str(vsix): {"bind": IDE_EXTENSION_PATH, "mode": "ro"}}
    return document, mounts


async def test_berths_own_extension_is_installed_over_any_other_version_once_and_finds_the_supervisor(
    docker_client: docker.DockerClient, supervisor_binary: Path, ide_dir: Path, tmp_path: Path
) -> None:
    vsix = ide_extension_vsix(environ={"BERTH_CACHE_DIR": str(tmp_path / "cache")})
    version = version_of(build_id(SOURCE_DIR))
    source = tmp_path / "files"
    source.mkdir()
    # What a workspace restored from an older backup may hold: another (here: a higher) version of it.
    write_vsix(SOURCE_DIR, source / "other.vsix", "999.0.0")
    document, mounts = with_berth_extension(
        ide_dir, source, vsix,
        {"before": f"{CODE_SERVER} --extensions-dir {EXTENSIONS_DIR} --install-extension /src/other.vsix",
         "command": "sleep 600"})
    with workspace_container(docker_client, supervisor_binary, tmp_path, document, SUPERVISOR_ARGS, mounts) as (
        container,
        port,
    ):
        await eventually(lambda: _ready(port), within=120, every=0.2)
        ide = (await status(port))["ide"]
        assert ide["state"] == "ready", ide
        assert ide["extensions"] == [{"extension": IDE_EXTENSION_PATH, "installed": True,
                                      "detail": f"installed (berth.task-terminals {version})"}], ide
        listed = run_in(container, "su", "berth", "-c", f"{CODE_SERVER} --extensions-dir {EXTENSIONS_DIR} "
                        "--list-extensions --show-versions")
        assert f"berth.task-terminals@{version}" in listed, listed

        # code-server (and so its extension host) knows the supervisor's port; no token in this config.
        read = container.exec_run(["cat", f"/proc/{ide['pid']}/environ"], user="berth")  # its own user may read it
        assert read.exit_code == 0 and isinstance(read.output, bytes), read
        environ = read.output.decode().split("\0")
        assert f"BERTH_SUPERVISOR_PORT={PORT}" in environ
        assert not [entry for entry in environ if entry.startswith("BERTH_SUPERVISOR_TOKEN=")]
        command_line = run_in(container, "cat", f"/proc/{ide['pid']}/cmdline")
        assert "BERTH_SUPERVISOR" not in command_line

        # A restart finds it installed: not installed again.
        container.restart(timeout=10)
        container.reload()
        port = int(container.attrs["NetworkSettings"]["Ports"][f"{PORT}/tcp"][0]["HostPort"])
        await eventually(lambda: _ready(port), within=120, every=0.2)
        again = (await status(port))["ide"]["extensions"]
        assert again == [{"extension": IDE_EXTENSION_PATH, "installed": True,
                          "detail": f"already installed (berth.task-terminals {version})"}], again


async def test_a_new_workspace_gets_berths_extension_unpacked_without_code_server(
    docker_client: docker.DockerClient, supervisor_binary: Path, ide_dir: Path, tmp_path: Path
) -> None:
    """No IDE data yet: the .vsix is unpacked by the supervisor (not code-server's 0.8 s of CPU), and code-server
    lists it, adds another extension beside it, and starts with it."""
    vsix = ide_extension_vsix(environ={"BERTH_CACHE_DIR": str(tmp_path / "cache")})
    version = version_of(build_id(SOURCE_DIR))
    source = tmp_path / "files"
    source.mkdir()
    tiny_vsix(source / "tiny.vsix")
    document, mounts = with_berth_extension(ide_dir, source, vsix, {"command": "sleep 600"})
    with workspace_container(docker_client, supervisor_binary, tmp_path, document, SUPERVISOR_ARGS, mounts) as (
        container,
        port,
    ):
        await eventually(lambda: _ready(port), within=120, every=0.2)
        ide = (await status(port))["ide"]
        assert ide["state"] == "ready", ide
        assert ide["extensions"] == [{"extension": IDE_EXTENSION_PATH, "installed": True,
                                      "detail": f"installed (berth.task-terminals {version})"}], ide
        logs = container.logs(stdout=False, stderr=True).decode()
        assert "installing with code-server" not in logs, logs
        owners = run_in(container, "stat", "-c", "%U", f"{EXTENSIONS_DIR}/extensions.json",
                        f"{EXTENSIONS_DIR}/berth.task-terminals-{version}/src/extension.js")
        assert owners.split() == ["berth", "berth"], owners
        install = run_in(container, "su", "berth", "-c", f"{CODE_SERVER} --extensions-dir {EXTENSIONS_DIR} "
                         "--install-extension /src/tiny.vsix")
        assert "successfully installed" in install, install
        listed = run_in(container, "su", "berth", "-c", f"{CODE_SERVER} --extensions-dir {EXTENSIONS_DIR} "
                        "--list-extensions --show-versions")
        assert f"berth.task-terminals@{version}" in listed and "berthtest.tiny@0.0.1" in listed, listed
