"""The node decider (registration, placement within capacity, release) and the choice of a node, checked
by hypothesis against a simple model: a set of placed instances and a capacity."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.node.decider import (
    NodeDecider,
    NodeState,
    NoRoom,
    PlaceInstance,
    RegisterNode,
    ReleaseInstance,
    ReleaseWorkspace,
)
from domain.node.events import InstancePlaced, InstanceReleased, NodeRegistered
from domain.node.placement import choose_node, no_room_reason

DECIDER = NodeDecider()
GiB = 1 << 30


def run(state: NodeState, command: object) -> tuple[NodeState, list[DomainEvent]]:
    events = list(DECIDER.decide(state, command))  # type: ignore[arg-type]
    for event in events:
        state = DECIDER.evolve(state, event)
    return state, events


def registered(name: str = "local", capacity: int = 2) -> NodeState:
    return run(NodeState(), RegisterNode(name, 8, 32 * GiB, capacity))[0]


def test_registering_again_with_the_same_facts_appends_nothing() -> None:
    state, events = run(NodeState(), RegisterNode("local", 8, 32 * GiB, 10))
    assert events == [NodeRegistered(name="local", cpus=8, memory_bytes=32 * GiB, capacity=10)]
    assert run(state, RegisterNode("local", 8, 32 * GiB, 10))[1] == []
    changed, events = run(state, RegisterNode("local", 8, 32 * GiB, 12))
    assert events == [NodeRegistered(name="local", cpus=8, memory_bytes=32 * GiB, capacity=12)]
    assert changed.capacity == 12


def test_registration_names_a_bad_field_and_keeps_its_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        DECIDER.decide(NodeState(), RegisterNode("local", 8, 32 * GiB, 0))
    assert raised.value.field == "capacity"
    with pytest.raises(Conflict):
        DECIDER.decide(registered("a"), RegisterNode("b", 8, 32 * GiB, 1))


def test_placement_needs_a_registration_and_room() -> None:
    with pytest.raises(NotFound):
        DECIDER.decide(NodeState(), PlaceInstance("w1", "i1"))
    state, events = run(registered(capacity=1), PlaceInstance("w1", "i1"))
    assert events == [InstancePlaced(workspace_id="w1", instance_id="i1")] and state.running == 1
    assert run(state, PlaceInstance("w1", "i1"))[1] == []  # placed already: a redelivery
    with pytest.raises(NoRoom, match="local runs 1 of 1"):
        DECIDER.decide(state, PlaceInstance("w2", "i2"))


def test_release_frees_the_slot_once() -> None:
    state, _ = run(registered(capacity=1), PlaceInstance("w1", "i1"))
    assert run(state, ReleaseInstance("w2", "i1"))[1] == []  # same instance id, another workspace
    state, events = run(state, ReleaseInstance("w1", "i1", "instance stopped"))
    assert events == [InstanceReleased(workspace_id="w1", instance_id="i1", reason="instance stopped")]
    assert state.running == 0
    assert run(state, ReleaseInstance("w1", "i1"))[1] == []


def test_releasing_a_workspace_releases_its_placements_only() -> None:
    state, _ = run(registered(capacity=3), PlaceInstance("w1", "i1"))
    state, _ = run(state, PlaceInstance("w2", "i2"))
    state, events = run(state, ReleaseWorkspace("w1", "workspace deleted"))
    assert events == [InstanceReleased(workspace_id="w1", instance_id="i1", reason="workspace deleted")]
    assert {p.instance_id for p in state.placements} == {"i2"}


def test_a_lower_capacity_evicts_nothing_but_stops_new_placements() -> None:
    state, _ = run(registered(capacity=2), PlaceInstance("w1", "i1"))
    state, _ = run(state, PlaceInstance("w2", "i2"))
    state, _ = run(state, RegisterNode("local", 8, 32 * GiB, 1))
    assert state.running == 2 and state.free == 0
    with pytest.raises(NoRoom, match="local runs 2 of 1"):
        DECIDER.decide(state, PlaceInstance("w3", "i3"))


def test_the_emptiest_node_with_room_is_chosen() -> None:
    a, _ = run(registered("a", capacity=2), PlaceInstance("w1", "i1"))
    b = registered("b", capacity=2)
    assert choose_node([a, b]) == b
    assert choose_node([registered("b"), registered("a")]) == registered("a")  # a tie goes by name
    full, _ = run(registered("c", capacity=1), PlaceInstance("w9", "i9"))
    assert choose_node([full, NodeState()]) is None


def test_the_no_room_reason_says_what_each_node_runs() -> None:
    full, _ = run(registered("local", capacity=1), PlaceInstance("w1", "i1"))
    assert no_room_reason([full]) == "no node has room: local runs 1 of 1"
    assert no_room_reason([NodeState()]) == "no node has room: no node is registered"
    assert no_room_reason([]) == "no node has room: no node is registered"


class NodeMachine(RuleBasedStateMachine):
    """Random registrations, placements and releases; the decider must agree with the model."""

    def __init__(self) -> None:
        super().__init__()
        self.state = NodeState()
        self.capacity: int | None = None
        self.placed: dict[str, str] = {}
        self.next_id = 0

    @rule(capacity=st.integers(1, 4))
    def register(self, capacity: int) -> None:
        self.state, events = run(self.state, RegisterNode("n", 4, 8 * GiB, capacity))
        assert (events == []) == (capacity == self.capacity)
        self.capacity = capacity

    @rule(workspace=st.sampled_from(["w1", "w2", "w3"]))
    def place(self, workspace: str) -> None:
        self.next_id += 1
        instance = f"i{self.next_id}"
        if self.capacity is None:
            with pytest.raises(NotFound):
                DECIDER.decide(self.state, PlaceInstance(workspace, instance))
        elif len(self.placed) >= self.capacity:
            with pytest.raises(NoRoom):
                DECIDER.decide(self.state, PlaceInstance(workspace, instance))
        else:
            self.state, events = run(self.state, PlaceInstance(workspace, instance))
            assert events == [InstancePlaced(workspace_id=workspace, instance_id=instance)]
            self.placed[instance] = workspace

    @precondition(lambda self: bool(self.placed))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        instance = data.draw(st.sampled_from(sorted(self.placed)))
        self.state, events = run(self.state, ReleaseInstance(self.placed[instance], instance))
        assert len(events) == 1
        del self.placed[instance]

    @rule(workspace=st.sampled_from(["w1", "w2", "w3"]))
    def release_workspace(self, workspace: str) -> None:
        self.state, events = run(self.state, ReleaseWorkspace(workspace))
        gone = {i for i, w in self.placed.items() if w == workspace}
        assert {e.instance_id for e in events} == gone  # type: ignore[attr-defined]
        self.placed = {i: w for i, w in self.placed.items() if w != workspace}

    @rule(instance=st.sampled_from(["never-placed", "i0"]))
    def release_unknown(self, instance: str) -> None:
        assert run(self.state, ReleaseInstance("w1", instance))[1] == []

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert {p.instance_id: p.workspace_id for p in self.state.placements} == self.placed
        assert self.state.running == len(self.placed)
        if self.capacity is not None:
            assert self.state.capacity == self.capacity


TestNodeMachine = NodeMachine.TestCase
