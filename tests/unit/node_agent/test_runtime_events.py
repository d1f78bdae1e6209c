"""Engine events -> typed runtime events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from node_agent.runtime_events import (
    ContainerDied,
    ContainerOomKilled,
    ContainerRemoved,
    ContainerStarted,
    parse_event,
)


def engine_event(action: str, **attributes: str) -> dict[str, Any]:
    return {
        "Type": "container",
        "Action": action,
        "Actor": {"ID": "c0ffee", "Attributes": {"berth.workspace": "amber-otter-k3x9qa",
                                                  "berth.instance": "i1", **attributes}},
        "time": 1_700_000_000,
        "timeNano": 1_700_000_000_500_000_000,
    }


def test_each_followed_action_has_its_type() -> None:
    started = parse_event(engine_event("start"))
    assert started == ContainerStarted(workspace_id="amber-otter-k3x9qa", instance_id="i1", container_id="c0ffee",
                                       at=datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC))
    died = parse_event(engine_event("die", exitCode="137"))
    assert isinstance(died, ContainerDied) and died.exit_code == 137
    assert isinstance(parse_event(engine_event("oom")), ContainerOomKilled)
    assert isinstance(parse_event(engine_event("destroy")), ContainerRemoved)


def test_other_events_are_ignored() -> None:
    assert parse_event(engine_event("exec_start: bash")) is None
    assert parse_event({**engine_event("start"), "Type": "network"}) is None
    foreign = engine_event("start")
    foreign["Actor"]["Attributes"] = {"name": "someone-elses"}
    assert parse_event(foreign) is None


def test_a_die_without_exit_code_is_minus_one() -> None:
    died = parse_event(engine_event("die"))
    assert isinstance(died, ContainerDied) and died.exit_code == -1
