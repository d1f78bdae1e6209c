"""The IDE's config section and code-server's command line: pure parts of supervisor.ide (the process
itself is tested for real in tests/integration/supervisor/test_ide_*)."""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from supervisor.config import ConfigError, IdeConfig, parse_config
from supervisor.ide import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    IdeStatus,
    VsixManifest,
    backoff,
    command,
    ide_env,
    install_command,
    marketplace_installed,
    supervisor_access,
    vsix_manifest,
)


def minimal(**fields: Any) -> dict[str, Any]:
    return {"workspace_id": "amber-otter-k3x9qa", "instance_id": "i-1", **fields}


def test_no_ide_section_means_no_ide() -> None:
    assert parse_config(minimal()).ide is None
    assert parse_config(minimal(ide=None)).ide is None


def test_ide_section_with_defaults_and_values() -> None:
    assert parse_config(minimal(ide={})).ide == IdeConfig("code-server", "/.berth/ide", 23000)
    given = {"kind": "code-server", "dir": "/opt/ide", "port": 24000}
    assert parse_config(minimal(ide=given)).ide == IdeConfig("code-server", "/opt/ide", 24000)


@pytest.mark.parametrize(
    ("ide", "field"),
    [
        ({"kind": "theia"}, "ide.kind"),
        ({"dir": "relative"}, "ide.dir"),
        ({"port": 0}, "ide.port"),
        ({"port": 22999}, "ide.port"),  # the supervisor's own
        ({"extra": 1}, "ide.extra"),
        ({"extensions": "ms-python.python"}, "ide.extensions"),
        ({"extensions": [1]}, "ide.extensions[0]"),
        ({"extensions": ["a.b", " "]}, "ide.extensions[1]"),
        ("code-server", "ide"),
    ],
)
def test_ide_mistakes_name_their_field(ide: object, field: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(minimal(ide=ide))
    assert raised.value.field == field


def test_command_line() -> None:
    argv = command(IdeConfig(port=23000), "/workspace", "/workspace/repo")
    assert argv[:2] == ["/.berth/ide/node/bin/node", "/.berth/ide/lib/node_modules/code-server/out/node/entry.js"]
    assert argv[-1] == "/workspace/repo"
    options = dict(itertools.pairwise(argv))
    assert options["--bind-addr"] == "0.0.0.0:23000"
    assert options["--auth"] == "none"
    assert options["--user-data-dir"] == "/workspace/.berth/ide/user-data"
    assert options["--extensions-dir"] == "/workspace/.berth/ide/extensions"
    assert not options["--session-socket"].startswith("/workspace/")  # no socket file in the backup
    assert "--disable-telemetry" in argv and "--disable-update-check" in argv
    assert "--disable-workspace-trust" in argv  # no question before the task terminals open


def test_env_drops_what_would_override_the_command_line() -> None:
    env = ide_env({"PORT": "3000", "PASSWORD": "x", "HASHED_PASSWORD": "y", "PATH": "/bin", "HOME": "/home/berth"})
    assert env == {"PATH": "/bin", "HOME": "/home/berth"}


def test_backoff_doubles_up_to_the_cap() -> None:
    waits: list[float | None] = [None]
    for _ in range(10):
        waits.append(backoff(waits[-1]))
    assert waits[1] == BACKOFF_FIRST and waits[2] == 2 * BACKOFF_FIRST
    assert max(w for w in waits if w is not None) == BACKOFF_MAX


def test_status_json() -> None:
    status = IdeStatus(port=23000)
    assert status.as_json() == {
        "kind": "code-server", "state": "pending", "restarts": 0, "port": 23000, "pid": None,
        "last_exit_code": None, "error": None, "ready_in": None, "extensions": [],
    }
    assert not status.ready
    status.state = "ready"
    assert status.ready


def test_ide_extensions_in_the_config() -> None:
    given = {"port": 24000, "extensions": ["/workspace/repo/x.vsix", "ms-python.python"]}
    parsed = parse_config(minimal(ide=given)).ide
    assert parsed is not None and parsed.extensions == ("/workspace/repo/x.vsix", "ms-python.python")
    assert parse_config(minimal(ide={"extensions": None})).ide == IdeConfig()


def test_install_command_uses_the_ides_extensions_dir() -> None:
    argv = install_command(IdeConfig(), "/workspace", "/workspace/repo/x.vsix")
    assert argv[:2] == command(IdeConfig(), "/workspace", "/workspace/repo")[:2]
    options = dict(itertools.pairwise(argv))
    assert options["--extensions-dir"] == "/workspace/.berth/ide/extensions"
    assert options["--user-data-dir"] == "/workspace/.berth/ide/user-data"
    assert options["--install-extension"] == "/workspace/repo/x.vsix"


def test_berths_own_extensions_in_the_config() -> None:
    own = "/.berth/ide-extensions/berth.task-terminals.vsix"
    parsed = parse_config(minimal(ide={"builtin_extensions": [own], "extensions": ["a.b"]})).ide
    assert parsed is not None and parsed.builtin_extensions == (own,) and parsed.extensions == ("a.b",)
    assert IdeConfig().builtin_extensions == ()


@pytest.mark.parametrize("path", ["relative/x.vsix", "/.berth/../x.vsix", "/.berth/x.zip", ""])
def test_berths_own_extensions_are_absolute_vsix_paths(path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(minimal(ide={"builtin_extensions": [path]}))
    assert raised.value.field == "ide.builtin_extensions[0]"


def test_install_command_forces_only_when_asked() -> None:
    assert "--force" not in install_command(IdeConfig(), "/workspace", "/workspace/repo/x.vsix")
    forced = install_command(IdeConfig(), "/workspace", "/.berth/x.vsix", force=True)
    assert forced[-3:] == ["--install-extension", "/.berth/x.vsix", "--force"]


def test_the_ide_learns_how_to_reach_the_supervisor_from_its_environment() -> None:
    assert supervisor_access(22999, None) == {"BERTH_SUPERVISOR_PORT": "22999"}
    assert supervisor_access(1234, "t0k") == {"BERTH_SUPERVISOR_PORT": "1234", "BERTH_SUPERVISOR_TOKEN": "t0k"}


def test_vsix_manifest(tmp_path: Path) -> None:
    good = tmp_path / "good.vsix"
    with zipfile.ZipFile(good, "w") as archive:
        manifest = {"publisher": "Acme", "name": "Tool", "version": "1.2.3"}
        archive.writestr("extension/package.json", json.dumps(manifest))
    read = vsix_manifest(str(good))
    assert read == VsixManifest("Acme", "Tool", "1.2.3")
    assert read.id == "Acme.Tool" and read.directory == "acme.tool-1.2.3"
    empty = tmp_path / "empty.vsix"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "")
    with pytest.raises(ValueError, match=r"no extension/package\.json"):
        vsix_manifest(str(empty))
    junk = tmp_path / "junk.vsix"
    junk.write_text("not a zip")
    with pytest.raises(ValueError, match=r"not a readable \.vsix"):
        vsix_manifest(str(junk))
    partial = tmp_path / "partial.vsix"
    with zipfile.ZipFile(partial, "w") as archive:
        archive.writestr("extension/package.json", json.dumps({"name": "tool"}))
    with pytest.raises(ValueError, match="lacks publisher"):
        vsix_manifest(str(partial))


def test_marketplace_installed() -> None:
    present = {"ms-python.python-2024.1.0", "ms-python.python-debugger-1.0.0", "golang.go-0.40.0"}
    assert marketplace_installed("ms-python.python", present)
    assert marketplace_installed("MS-Python.Python", present)
    assert marketplace_installed("golang.go@0.40.0", present)
    assert not marketplace_installed("golang.go@0.41.0", present)
    assert not marketplace_installed("ms-python.pyt", present)
    assert marketplace_installed("ms-python.python-debugger", present)
    assert not marketplace_installed("ms-python.vscode-pylance", {"ms-python.python-2024.1.0"})
