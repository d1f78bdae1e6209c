"""Real git servers for the git adapter's tests: `git daemon` and smart HTTP (`git http-backend`) on
127.0.0.1, serving the repositories of `tests.gitserver.seed_repositories` and any a test adds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.git import GitCache
from tests.gitserver import BareRepo, GitDaemon, Seeded, SilentServer, SmartHttpServer, seed_repositories


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_repositories(tmp_path_factory.mktemp("git-repositories"))


@pytest.fixture(scope="session")
def git_daemon(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    with GitDaemon(seeded.root, tmp_path_factory.mktemp("git-daemon")) as daemon:
        yield daemon


@pytest.fixture(scope="session")
def git_http(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartHttpServer]:
    with SmartHttpServer(seeded.root, tmp_path_factory.mktemp("git-http")) as server:
        yield server


@pytest.fixture
def git_cache(tmp_path: Path) -> GitCache:
    """A cache of its own per test, so no test finds objects another one fetched."""
    return GitCache(tmp_path / "git-cache")


@dataclass(frozen=True)
class Scratch:
    name: str
    """What the servers' `url()` take."""
    repo: BareRepo


@pytest.fixture
def scratch(seeded: Seeded) -> Scratch:
    """A new empty repository on the servers, which a test may change at will."""
    name = f"scratch/r-{uuid.uuid4().hex[:10]}"
    return Scratch(name, BareRepo.create(seeded.root / f"{name}.git"))


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server
