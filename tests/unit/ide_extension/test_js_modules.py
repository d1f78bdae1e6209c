"""The extension's own Node tests (ide_extension/test/*.test.js: the frame codec, line endings, and which
terminals a window opens as the supervisor's list changes), run with `node --test`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.nodejs import node_binary

EXTENSION = Path(__file__).resolve().parents[3] / "ide_extension"


def test_the_extensions_node_tests_pass() -> None:
    tests = sorted(str(path) for path in (EXTENSION / "test").glob("*.test.js"))
    assert len(tests) >= 2, tests
    done = subprocess.run([node_binary(), "--test", *tests], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout, done.stdout
