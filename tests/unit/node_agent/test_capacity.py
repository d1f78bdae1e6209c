"""A node's default capacity, from what `docker info` reports and the workspace classes' limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from node_agent.capacity import CPU_OVERCOMMIT, MEMORY_OVERCOMMIT, default_capacity
from node_agent.registration import NodeFacts, facts_from_info, registration
from node_agent.workspace_classes import WORKSPACE_CLASSES, GiB, WorkspaceClass


def test_memory_bounds_a_big_cpu_machine_and_cpus_a_big_memory_one() -> None:
    # The default class is 2 CPUs, 4 GiB: 64 CPUs and 32 GiB take 16 (memory), 2 CPUs and 256 GiB take 8.
    assert default_capacity(64, 32 * GiB) == 32 * MEMORY_OVERCOMMIT // 4
    assert default_capacity(2, 256 * GiB) == 2 * CPU_OVERCOMMIT // 2


def test_this_kind_of_machine_runs_several_workspaces() -> None:
    # 2 CPUs and 23.5 GiB (the CI machine): 8 instances, not 1 as hard limits would allow.
    assert default_capacity(2, int(23.5 * GiB)) == 8


def test_a_tiny_node_still_takes_one() -> None:
    assert default_capacity(1, 1 * GiB) == 1


def test_without_a_default_class_the_smallest_one_sizes_the_node() -> None:
    small = {"tiny": WorkspaceClass("tiny", cpus=1, memory_bytes=1 * GiB, pids=100)}
    assert default_capacity(1, 4 * GiB, small) == min(1 * CPU_OVERCOMMIT, 4 * MEMORY_OVERCOMMIT)


@given(st.integers(1, 512), st.integers(1, 4096))
def test_capacity_grows_with_the_machine(cpus: int, gib: int) -> None:
    capacity = default_capacity(cpus, gib * GiB)
    assert capacity >= 1
    assert default_capacity(cpus + 1, gib * GiB) >= capacity
    assert default_capacity(cpus, (gib + 1) * GiB) >= capacity


def test_facts_come_from_docker_info() -> None:
    assert facts_from_info({"NCPU": 2, "MemTotal": 25276502016, "Name": "x"}) == NodeFacts(2, 25276502016)


def test_the_configured_capacity_wins() -> None:
    facts = NodeFacts(cpus=2, memory_bytes=8 * GiB)
    assert registration("local", facts, 10).capacity == 10
    assert registration("local", facts, None, WORKSPACE_CLASSES).capacity == default_capacity(2, 8 * GiB)
