"""Real git servers for the git adapter's tests: `git daemon` and smart HTTP (`git http-backend`) on
127.0.0.1, serving the repositories of `tests.gitserver.seed_repositories` and any a test adds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.gitserver import BareRepo, Seeded, SilentServer


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
