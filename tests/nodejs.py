"""A Node.js to run Berth's VS Code extension's modules outside VS Code (ide_extension/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def node_binary() -> str:
    """Node on PATH (Debian's `nodejs`, which npm needs anyway), else the Node 24 of the cached code-server
    install (scripts/install-code-server.sh). Neither: an AssertionError saying so (the tests never skip)."""
    found = shutil.which("node")
    if found is not None:
        return found
    cache = Path(os.environ.get("BERTH_CACHE_DIR") or Path.home() / ".cache" / "berth") / "code-server"
    for candidate in sorted(cache.glob("*/node/bin/node"), reverse=True):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise AssertionError("no Node.js: install Debian's nodejs, or run scripts/install-code-server.sh")
