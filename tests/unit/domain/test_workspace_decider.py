"""The workspace state machine, checked by hypothesis against a simple model of what it must allow."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.aggregate import fold
from domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from domain.workspace.decider import (
    AdvanceInstance,
    CreateWorkspace,
    DeleteWorkspace,
    StartInstance,
    WorkspaceDecider,
    WorkspaceState,
)
from domain.workspace.events import InstancePhaseChanged, InstanceRequested, WorkspaceCreated
from domain.workspace.ids import is_workspace_id, new_workspace_id
from domain.workspace.phases import TERMINAL, Phase, allowed_next, is_active

DECIDER = WorkspaceDecider()
CREATE = CreateWorkspace("amber-otter-k3x9qa", "alice", "https://git.example/a/b")


def decide_and_fold(state: WorkspaceState, command: object) -> WorkspaceState:
    events = DECIDER.decide(state, command)  # type: ignore[arg-type]
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def test_create_then_start_yields_a_pending_instance() -> None:
    state = decide_and_fold(DECIDER.initial_state(), CREATE)
    events = DECIDER.decide(state, StartInstance("i-1"))
    assert events == [InstanceRequested(instance_id="i-1")]
    assert DECIDER.evolve(state, events[0]).phase is Phase.PENDING


def test_create_twice_conflicts() -> None:
    state = decide_and_fold(DECIDER.initial_state(), CREATE)
    with pytest.raises(Conflict):
        DECIDER.decide(state, CREATE)


def test_commands_on_a_missing_workspace_are_not_found() -> None:
    with pytest.raises(NotFound):
        DECIDER.decide(DECIDER.initial_state(), StartInstance("i-1"))


def test_an_invalid_id_names_the_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        DECIDER.decide(DECIDER.initial_state(), CreateWorkspace("Not_A_Label", "a", "u"))
    assert raised.value.field == "workspace_id"


def test_second_start_while_active_conflicts() -> None:
    state = decide_and_fold(decide_and_fold(DECIDER.initial_state(), CREATE), StartInstance("i-1"))
    with pytest.raises(Conflict, match="active instance"):
        DECIDER.decide(state, StartInstance("i-2"))


def test_fold_counts_versions() -> None:
    events = [WorkspaceCreated(workspace_id="a-b-c", owner="o", context_url="u"),
              InstanceRequested(instance_id="i"), InstancePhaseChanged(instance_id="i", phase="preparing")]
    folded = fold(DECIDER, events)
    assert folded.version == 3 and folded.state.phase is Phase.PREPARING


@given(st.sampled_from(list(Phase)))
def test_terminal_phases_have_no_way_out_and_active_ones_can_always_fail(phase: Phase) -> None:
    following = allowed_next(phase)
    if phase in TERMINAL:
        assert following == frozenset()
    else:
        assert Phase.FAILED in following and phase not in following


@given(st.integers())
def test_generated_ids_are_dns_labels(seed: int) -> None:
    workspace_id = new_workspace_id(random.Random(seed))
    assert is_workspace_id(workspace_id) and len(workspace_id) < 63


@given(st.text(max_size=80))
def test_id_check_accepts_only_lowercase_dns_labels(text: str) -> None:
    if is_workspace_id(text):
        assert text == text.lower() and not text.startswith("-") and not text.endswith("-")
        assert all(c.isascii() and (c.isalnum() or c == "-") for c in text)


class WorkspaceMachine(RuleBasedStateMachine):
    """Random command sequences: the decider never reaches a state the model forbids, and rejects
    exactly the commands the model says are impossible."""

    def __init__(self) -> None:
        super().__init__()
        self.state = decide_and_fold(DECIDER.initial_state(), CREATE)
        self.instances = 0
        self.history: list[Phase] = []

    @rule()
    def start(self) -> None:
        command = StartInstance(f"i-{self.instances + 1}")
        if is_active(self.state.phase):
            with pytest.raises(Conflict):
                DECIDER.decide(self.state, command)
            return
        self.state = decide_and_fold(self.state, command)
        self.instances += 1
        self.history = [Phase.PENDING]

    @precondition(lambda self: self.state.instance_id is not None)
    @rule(target_phase=st.sampled_from(list(Phase)))
    def advance(self, target_phase: Phase) -> None:
        assert self.state.phase is not None and self.state.instance_id is not None
        command = AdvanceInstance(self.state.instance_id, target_phase)
        if target_phase in allowed_next(self.state.phase):
            self.state = decide_and_fold(self.state, command)
            self.history.append(target_phase)
        else:
            with pytest.raises(IllegalTransition):
                DECIDER.decide(self.state, command)

    @precondition(lambda self: self.state.instance_id is not None)
    @rule()
    def advance_a_stale_instance(self) -> None:
        with pytest.raises(Conflict):
            DECIDER.decide(self.state, AdvanceInstance("not-the-current-one", Phase.FAILED))

    @invariant()
    def history_follows_allowed_transitions(self) -> None:
        for before, after in zip(self.history, self.history[1:], strict=False):
            assert after in allowed_next(before)

    @invariant()
    def running_only_after_initializing(self) -> None:
        if Phase.RUNNING in self.history:
            assert self.history[self.history.index(Phase.RUNNING) - 1] is Phase.INITIALIZING


TestWorkspaceMachine = WorkspaceMachine.TestCase


def test_deleted_workspace_refuses_commands() -> None:
    state = decide_and_fold(decide_and_fold(DECIDER.initial_state(), CREATE), DeleteWorkspace("done"))
    with pytest.raises(NotFound):
        DECIDER.decide(state, StartInstance("i-9"))


def test_the_ide_is_chosen_at_creation_and_defaults_to_vscode() -> None:
    assert decide_and_fold(DECIDER.initial_state(), CREATE).ide == "vscode"
    (created,) = DECIDER.decide(DECIDER.initial_state(), CreateWorkspace(
        "amber-otter-k3x9qa", "alice", "https://git.example/a/b", ide="none"))
    assert isinstance(created, WorkspaceCreated) and created.ide == "none"
    assert DECIDER.evolve(DECIDER.initial_state(), created).ide == "none"
    with pytest.raises(InvalidInput) as raised:
        DECIDER.decide(DECIDER.initial_state(), CreateWorkspace(
            "amber-otter-k3x9qa", "alice", "https://git.example/a/b", ide="emacs"))
    assert raised.value.field == "ide"
