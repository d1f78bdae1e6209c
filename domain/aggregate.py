"""A small base for versioned, event-sourced aggregates: decide and evolve, both pure.

`decide(state, command)` returns the events a command causes or raises a typed error;
`evolve(state, event)` folds one event into the state. The version of an aggregate is the number of
events folded into it, which is what an append passes as `expected_version`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

S = TypeVar("S")
C = TypeVar("C", contravariant=True)
E = TypeVar("E")


class Decider(Protocol[S, C, E]):
    def initial_state(self) -> S: ...

    def decide(self, state: S, command: C) -> Sequence[E]: ...

    def evolve(self, state: S, event: E) -> S: ...


@dataclass(frozen=True, slots=True)
class Versioned(Generic[S]):
    state: S
    version: int


def fold(decider: Decider[S, C, E], events: Iterable[E], start: Versioned[S] | None = None) -> Versioned[S]:
    current = start if start is not None else Versioned(decider.initial_state(), 0)
    state, version = current.state, current.version
    for event in events:
        state = decider.evolve(state, event)
        version += 1
    return Versioned(state, version)
