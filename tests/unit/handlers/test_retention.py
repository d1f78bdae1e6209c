"""Which workspaces the retention rule deletes, and the reason the timeline shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.timeouts import TimeoutPolicy, expired_reason

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
POLICY = TimeoutPolicy(retention=timedelta(days=14))


def doc(phase: str | None = "stopped", ended_ago: timedelta = timedelta(days=14), pinned: bool = False,
        **extra: Any) -> dict[str, Any]:
    return {"phase": phase, "stopped_at": (NOW - ended_ago).isoformat(), "pinned": pinned,
            "updated_at": NOW.isoformat(), **extra}


def test_an_unpinned_workspace_stopped_for_the_retention_period_is_deleted() -> None:
    assert expired_reason(doc(), NOW, POLICY) == "deleted: stopped for 14 days and not pinned"
    assert expired_reason(doc("failed"), NOW, POLICY) == "deleted: failed 14 days ago and not pinned"


def test_a_pinned_workspace_is_kept() -> None:
    assert expired_reason(doc(pinned=True, ended_ago=timedelta(days=400)), NOW, POLICY) is None


def test_a_workspace_whose_last_backup_failed_is_kept() -> None:
    # Its kept volume is the only copy of the work: retention never deletes it.
    assert expired_reason(doc(ended_ago=timedelta(days=400), backup_failed="disk full"), NOW, POLICY) is None


def test_a_workspace_stopped_less_long_is_kept() -> None:
    assert expired_reason(doc(ended_ago=timedelta(days=13, hours=23)), NOW, POLICY) is None


def test_active_workspaces_are_never_deleted() -> None:
    for phase in ("pending", "preparing", "scheduled", "creating", "initializing", "running", "stopping", None):
        assert expired_reason(doc(phase, ended_ago=timedelta(days=400)), NOW, POLICY) is None


def test_a_document_from_before_stopped_at_counts_from_its_last_update() -> None:
    old = {"phase": "stopped", "updated_at": (NOW - timedelta(days=15)).isoformat()}
    assert expired_reason(old, NOW, POLICY) == "deleted: stopped for 14 days and not pinned"


def test_short_periods_read_naturally() -> None:
    for period, said in ((timedelta(seconds=2), "2 seconds"), (timedelta(days=1), "1 day"),
                         (timedelta(hours=36), "1.5 days"), (timedelta(minutes=90), "1.5 hours")):
        reason = expired_reason(doc(ended_ago=period), NOW, TimeoutPolicy(retention=period))
        assert reason == f"deleted: stopped for {said} and not pinned"
