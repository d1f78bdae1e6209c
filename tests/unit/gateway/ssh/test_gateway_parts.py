"""The SSH gateway's small parts: the host key kept across starts, the exec request it sends."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from gateway.ssh.exec_client import ExecRequest
from gateway.ssh.hostkey import HOST_KEY_FILE, load_or_create_host_key


def test_the_host_key_is_made_once_privately_and_kept(tmp_path: Path) -> None:
    first = load_or_create_host_key(tmp_path / "ssh")
    again = load_or_create_host_key(tmp_path / "ssh")
    assert first.get_fingerprint() == again.get_fingerprint()
    assert stat.S_IMODE((tmp_path / "ssh" / HOST_KEY_FILE).stat().st_mode) == 0o600


def test_the_exec_request_is_one_ascii_json_header() -> None:
    header = ExecRequest(command="echo é\nnext", pty=True, rows=40, cols=120, env={"TERM": "xterm"}).header()
    assert header.isascii() and "\n" not in header
    assert json.loads(header) == {"command": "echo é\nnext", "pty": True, "rows": 40, "cols": 120,
                                  "env": {"TERM": "xterm"}}
