from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.timeouts import TimeoutPolicy, overdue_reason

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
POLICY = TimeoutPolicy(inactivity=timedelta(minutes=30), max_lifetime=timedelta(hours=8))


def doc(phase: str = "running", active_ago: timedelta = timedelta(0),
        started_ago: timedelta = timedelta(0)) -> dict[str, str]:
    return {"phase": phase, "last_activity_at": (NOW - active_ago).isoformat(),
            "instance_started_at": (NOW - started_ago).isoformat()}


def test_an_active_workspace_keeps_running() -> None:
    assert overdue_reason(doc(active_ago=timedelta(minutes=29)), NOW, POLICY) is None


def test_inactivity_stops_with_a_readable_reason() -> None:
    assert overdue_reason(doc(active_ago=timedelta(minutes=30)), NOW, POLICY) == "stopped: inactive for 30 min"


def test_max_lifetime_wins_over_activity() -> None:
    reason = overdue_reason(doc(started_ago=timedelta(hours=8)), NOW, POLICY)
    assert reason == "stopped: reached the maximum lifetime of 8 h"


def test_only_running_instances_time_out() -> None:
    for phase in ("pending", "creating", "stopping", "stopped", "failed"):
        assert overdue_reason(doc(phase, active_ago=timedelta(days=1)), NOW, POLICY) is None
