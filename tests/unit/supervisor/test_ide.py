"""The IDE's config section and code-server's command line: pure parts of supervisor.ide (the process
itself is tested for real in tests/integration/supervisor/test_ide_*)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from supervisor.config import ConfigError, IdeConfig, parse_config
from supervisor.ide import BACKOFF_FIRST, BACKOFF_MAX, IdeStatus, backoff, command, ide_env


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
        "last_exit_code": None, "error": None, "ready_in": None,
    }
    assert not status.ready
    status.state = "ready"
    assert status.ready
