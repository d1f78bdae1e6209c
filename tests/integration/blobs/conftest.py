"""The blob store contract runs against every implementation; add one to `IMPLEMENTATIONS`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from infra.blobs import BlobStore, LocalBlobStore

IMPLEMENTATIONS: dict[str, Callable[[Path], BlobStore]] = {
    "local": lambda tmp: LocalBlobStore(tmp / "blobs"),
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    return IMPLEMENTATIONS[request.param](tmp_path)
