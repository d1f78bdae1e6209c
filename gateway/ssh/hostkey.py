"""The SSH server's host key: generated on first start and kept, so clients see the same host every time
(a new key on every `berth up` would trip every client's known_hosts check)."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

HOST_KEY_FILE = "ssh_host_ed25519_key"


def load_or_create_host_key(directory: Path) -> asyncssh.SSHKey:
    """`directory` is where Berth keeps its state (e.g. `<home>/ssh`); created private when missing."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / HOST_KEY_FILE
    if path.exists():
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="berth-gateway")
    # Written whole under another name, then renamed: a crash never leaves a half key behind.
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.export_private_key())
    os.replace(temporary, path)
    return key
