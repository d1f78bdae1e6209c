"""Fixtures of the Kafka transport tests: the real broker of scripts/services/kafka.sh, a topic prefix
of their own per test (deleted afterwards), and the relay's source store on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from infra.store.contract import EventStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> EventStore:
    """The relay's source of truth, each implementation in turn (fixtures of tests/conftest.py).
    Not async: an async fixture cannot resolve other async fixtures by name."""
    fixture = "sqlite_store" if request.param == "sqlite" else "pg_store"
    opened: EventStore = request.getfixturevalue(fixture)
    return opened
