"""Instance phases (DESIGN.md section 5) and the transitions the state machine allows."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    PENDING = "pending"
    PREPARING = "preparing"
    SCHEDULED = "scheduled"
    CREATING = "creating"
    INITIALIZING = "initializing"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


TERMINAL: frozenset[Phase] = frozenset({Phase.STOPPED, Phase.FAILED})

# The happy path moves one step at a time; any active phase may be asked to stop or may fail.
_FORWARD: dict[Phase, Phase] = {
    Phase.PENDING: Phase.PREPARING,
    Phase.PREPARING: Phase.SCHEDULED,
    Phase.SCHEDULED: Phase.CREATING,
    Phase.CREATING: Phase.INITIALIZING,
    Phase.INITIALIZING: Phase.RUNNING,
    Phase.STOPPING: Phase.STOPPED,
}


def allowed_next(phase: Phase) -> frozenset[Phase]:
    if phase in TERMINAL:
        return frozenset()
    following = {Phase.FAILED}
    if phase in _FORWARD:
        following.add(_FORWARD[phase])
    if phase is not Phase.STOPPING:
        following.add(Phase.STOPPING)
    return frozenset(following)


def is_active(phase: Phase | None) -> bool:
    return phase is not None and phase not in TERMINAL
