"""A user's preferences on the user stream: the IDE new workspaces get when the request names none."""

from __future__ import annotations

import pytest

from domain.aggregate import fold
from domain.errors import InvalidInput, NotFound
from domain.users.events import PreferencesChanged, UserCreated
from domain.users.preferences import PreferencesDecider, PreferencesState, SetPreferences

DECIDER = PreferencesDecider()


def alice(*events: PreferencesChanged) -> PreferencesState:
    return fold(DECIDER, [UserCreated(username="alice", role="user"), *events]).state


def test_no_preference_means_vscode() -> None:
    assert alice().ide is None and alice().workspace_ide == "vscode"


def test_setting_the_ide_is_an_event_and_repeating_it_is_not() -> None:
    assert DECIDER.decide(alice(), SetPreferences(ide="none")) == [PreferencesChanged(ide="none")]
    chosen = alice(PreferencesChanged(ide="none"))
    assert chosen.ide == "none" and chosen.workspace_ide == "none"
    assert DECIDER.decide(chosen, SetPreferences(ide="none")) == []
    assert DECIDER.decide(chosen, SetPreferences(ide=None)) == [PreferencesChanged(ide=None)]
    assert alice(PreferencesChanged(ide="none"), PreferencesChanged(ide=None)).workspace_ide == "vscode"


def test_an_unknown_ide_is_refused_by_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        DECIDER.decide(alice(), SetPreferences(ide="emacs"))
    assert raised.value.field == "ide"


def test_no_user_no_preferences() -> None:
    with pytest.raises(NotFound):
        DECIDER.decide(DECIDER.initial_state(), SetPreferences(ide="vscode"))
