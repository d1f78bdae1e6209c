"""What the side deciders of the user stream (SSH keys, environment variables) know of the account itself:
whether the user exists and whether it is blocked, folded from UserDecider's events. A side decider's state
extends AccountState and its `evolve` starts with `evolve_account`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from domain.errors import Conflict, NotFound
from domain.events import DomainEvent
from domain.users.events import UserBlocked, UserCreated


@dataclass(frozen=True, slots=True)
class AccountState:
    exists: bool = False
    blocked: bool = False

    def require_user(self) -> None:
        if not self.exists:
            raise NotFound("user does not exist")

    def require_unblocked(self) -> None:
        """Adding to a blocked account is refused; removing stays allowed (a blocked user's cleanup)."""
        if self.blocked:
            raise Conflict("the user is blocked")


State = TypeVar("State", bound=AccountState)


def evolve_account(state: State, event: DomainEvent) -> State:
    if isinstance(event, UserCreated):
        return replace(state, exists=True)
    if isinstance(event, UserBlocked):
        return replace(state, blocked=True)
    return state
