"""What most e2e modules share: one `berth up` per module and one real git daemon per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.berth_process import RunningBerth
from tests.gitserver import GitDaemon, Seeded


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBerth]:
    running = RunningBerth(tmp_path_factory.mktemp("berth-home"))
    yield running
    running.delete_workspaces_and_stop()


@pytest.fixture(scope="module")
def git(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    with GitDaemon(seeded.root, tmp_path_factory.mktemp("git-daemon")) as daemon:
        yield daemon
