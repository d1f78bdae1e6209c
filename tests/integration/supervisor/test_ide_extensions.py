"""Extensions from the workspace config installed by the supervisor with the real code-server, in a container
from the base image: a tiny .vsix built here (a zip of extension/package.json and [Content_Types].xml) that the
repository holds is installed before code-server starts; a marketplace id cannot be fetched (the container has
no internet), a missing file and a URL are not installed either, and the IDE log says which and why while
the IDE starts anyway."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docker
import pytest

from tests.integration.supervisor.client import request, status
from tests.integration.supervisor.test_container import SUPERVISOR_ARGS, config, run_in, workspace_container
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
