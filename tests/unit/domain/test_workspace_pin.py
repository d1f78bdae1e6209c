"""Pinning in the workspace decider: a pin change is an event only when it changes something."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import NotFound
from domain.events import DomainEvent
from domain.workspace.decider import CreateWorkspace, DeleteWorkspace, SetPinned, WorkspaceDecider, WorkspaceState
from domain.workspace.events import PinChanged

DECIDER = WorkspaceDecider()
CREATE = CreateWorkspace("amber-otter-k3x9qa", "alice", "https://git.example/a/b")


def run(state: WorkspaceState, command: object) -> tuple[WorkspaceState, list[DomainEvent]]:
    events = list(DECIDER.decide(state, command))  # type: ignore[arg-type]
    for event in events:
        state = DECIDER.evolve(state, event)
    return state, events


def created() -> WorkspaceState:
    return run(DECIDER.initial_state(), CREATE)[0]


def test_a_new_workspace_is_not_pinned() -> None:
    assert created().pinned is False


def test_pin_then_unpin() -> None:
    state, events = run(created(), SetPinned(True))
    assert events == [PinChanged(pinned=True)] and state.pinned
    state, events = run(state, SetPinned(False))
    assert events == [PinChanged(pinned=False)] and not state.pinned


def test_pinning_a_pinned_workspace_emits_nothing() -> None:
    state, _ = run(created(), SetPinned(True))
    assert run(state, SetPinned(True))[1] == []
    assert run(created(), SetPinned(False))[1] == []


def test_a_missing_or_deleted_workspace_cannot_be_pinned() -> None:
    with pytest.raises(NotFound):
        DECIDER.decide(DECIDER.initial_state(), SetPinned(True))
    deleted, _ = run(created(), DeleteWorkspace("test"))
    with pytest.raises(NotFound):
        DECIDER.decide(deleted, SetPinned(True))


@given(st.lists(st.booleans(), max_size=30))
def test_any_sequence_of_pin_commands_ends_in_the_last_wish_with_one_event_per_change(wishes: list[bool]) -> None:
    state, emitted = created(), []
    for wish in wishes:
        state, events = run(state, SetPinned(wish))
        emitted.extend(events)
    assert state.pinned == (wishes[-1] if wishes else False)
    changes = sum(1 for before, after in zip([False, *wishes], wishes, strict=False) if before != after)
    assert len(emitted) == changes
    assert all(isinstance(e, PinChanged) for e in emitted)
