"""Where this node's browser IDE install is: the directory every workspace gets read-only at /.berth/ide.

Found like the supervisor binary (gateway.node.supervisor_binary): named by the environment, else
installed (once, cached) by scripts/install-code-server.sh from this checkout. The first install
downloads code-server and Node 24 from npm and builds native modules, which takes minutes; later calls
return the cached directory at once.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from domain.errors import PermanentError

INSTALL_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install-code-server.sh"
ENV_NAME = "BERTH_IDE_DIR"
ENTRY = "lib/node_modules/code-server/out/node/entry.js"
NO_IDE = frozenset({"none", "off"})
"""Values of BERTH_IDE_DIR for a node whose workspaces have no browser IDE (SSH only)."""


def ide_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """BERTH_IDE_DIR (a directory, or `none` for no IDE), else the install script's cache directory.

    Blocking (runs the script): call it in a thread from async code."""
    env = os.environ if environ is None else environ
    named = env.get(ENV_NAME, "").strip()
    if named.lower() in NO_IDE:
        return None
    if named:
        path = Path(named)
        if not (path / ENTRY).is_file():
            raise PermanentError(f"{ENV_NAME}={named} is not an IDE install (no {ENTRY} in it)")
        return path
    done = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PermanentError(f"installing the browser IDE (code-server) failed: {done.stderr.strip()[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])
