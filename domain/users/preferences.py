"""A user's preferences (events on the `user-<username>` stream): today, the IDE the user's new workspaces
open in when the request does not name one. Setting preferences replaces them whole: what is not given is
no preference (Berth's default applies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from domain.errors import NotFound
from domain.events import DomainEvent
from domain.users.events import PreferencesChanged, UserCreated
from domain.workspace.decider import DEFAULT_IDE, check_ide


@dataclass(frozen=True, slots=True)
class PreferencesState:
    exists: bool = False
    ide: str | None = None

    @property
    def workspace_ide(self) -> str:
        """The IDE a new workspace of this user gets when the request names none."""
        return self.ide or DEFAULT_IDE


@dataclass(frozen=True, slots=True)
class SetPreferences:
    ide: str | None = None


class PreferencesDecider:
    """Decides on the user stream next to UserDecider and SshKeyDecider (each ignores the others' events)."""

    def initial_state(self) -> PreferencesState:
        return PreferencesState()

    def decide(self, state: PreferencesState, command: SetPreferences) -> Sequence[DomainEvent]:
        if not state.exists:
            raise NotFound("user does not exist")
        ide = None if command.ide is None else check_ide(command.ide)
        if ide == state.ide:
            return []  # already so: no event
        return [PreferencesChanged(ide=ide)]

    def evolve(self, state: PreferencesState, event: DomainEvent) -> PreferencesState:
        if isinstance(event, UserCreated):
            return replace(state, exists=True)
        if isinstance(event, PreferencesChanged):
            return replace(state, ide=event.ide)
        return state
