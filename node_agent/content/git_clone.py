"""Cloning a repository on the node into a local directory, with transfer progress.

The clone happens on the host, not in the workspace container: the container may lack git or the
network to reach the remote, and the node agent owns the credentials and the progress reporting.

It runs the git command line rather than libgit2: libgit2 builds a local clone's pack in memory (a repository
with a 1 GB file peaked at 3.1 GB), while git streams large blobs (core.bigFileThreshold) with bounded memory.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from node_agent.errors import CloneFailed, CommitNotFound
from node_agent.instance import GitSource

_PROGRESS = re.compile(r"Receiving objects:\s+\d+% \((\d+)/(\d+)\)(?:, ([\d.]+) (KiB|MiB|GiB|bytes))?")
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


@dataclass(frozen=True)
class CloneStats:
    received_bytes: int
    received_objects: int
    total_objects: int


class CloneStopped(Exception):
    """The caller gave up: the git process was ended."""


def _git_environment() -> dict[str, str]:
    # Never prompt for credentials (there is no one to answer) and never read the node's user config.
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def _run(arguments: list[str], source: GitSource, on_line: Callable[[str], None] | None,
         stop: threading.Event) -> None:
    tail: list[str] = []
    with subprocess.Popen(["git", *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=_git_environment()) as process:
        stderr = process.stderr
        assert isinstance(stderr, io.BufferedReader)
        buffer = b""
        while chunk := stderr.read1(4096):
            if stop.is_set():
                process.kill()
                raise CloneStopped
            buffer += chunk
            # git rewrites its progress line with carriage returns: split on both.
            *lines, buffer = re.split(rb"[\r\n]", buffer)
            for raw in lines:
                line = raw.decode("utf-8", "replace").strip()
                if line:
                    tail = [*tail[-20:], line]
                    if on_line is not None:
                        on_line(line)
    if process.returncode != 0:
        raise CloneFailed(source.url, "; ".join(line for line in tail if not line.startswith("Receiving"))[-2000:]
                          or f"git exited with {process.returncode}")


def clone(source: GitSource, into: Path, on_stats: Callable[[CloneStats], None], stop: threading.Event) -> str:
    """Clone `source` into the (absent or empty) directory `into`; returns the commit checked out."""

    def progress(line: str) -> None:
        match = _PROGRESS.search(line)
        if match:
            received = int(float(match.group(3)) * _UNITS[match.group(4)]) if match.group(3) else 0
            on_stats(CloneStats(received, int(match.group(1)), int(match.group(2))))

    branch = ["--branch", source.branch] if source.branch is not None else []
    _run(["clone", "--progress", "--no-checkout", *branch, "--", source.url, str(into)], source, progress, stop)
    if source.commit is not None:
        _check_out(into, source, stop)
    else:
        _run(["-C", str(into), "checkout", "--quiet"], source, None, stop)
    return _head(into)


def _check_out(into: Path, source: GitSource, stop: threading.Event) -> None:
    assert source.commit is not None
    try:
        _run(["-C", str(into), "cat-file", "-e", f"{source.commit}^{{commit}}"], source, None, stop)
    except CloneFailed:
        raise CommitNotFound(source.url, source.commit) from None
    if source.branch is not None:
        # The branch was resolved to this commit when the workspace started: the branch stays
        # checked out (so `git pull` works), pointing where the context said.
        _run(["-C", str(into), "checkout", "--quiet", source.branch], source, None, stop)
        _run(["-C", str(into), "reset", "--quiet", "--hard", source.commit], source, None, stop)
    else:
        _run(["-C", str(into), "checkout", "--quiet", "--detach", source.commit], source, None, stop)


def _head(into: Path) -> str:
    return subprocess.run(["git", "-C", str(into), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True, env=_git_environment()).stdout.strip()
