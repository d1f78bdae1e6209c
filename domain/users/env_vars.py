"""A user's environment variables (events on the `user-<username>` stream): `NAME=value` for the repositories
a pattern names (see repository_patterns), set into every process of the user's workspaces when an instance
starts. Several variables may share a name with different patterns; for a repository the most specific
matching pattern wins (owner/repo over owner/* over */*).

Values are secrets, like Codespaces secrets: the API never returns them, and they arrive here already
encrypted (infra/secrets.py), so neither the decider nor the events it emits ever see one in plain text.
Only names and patterns may be shown or logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar, TypeVar

from domain.errors import InvalidInput, NotFound
from domain.events import DomainEvent
from domain.users.account import AccountState, evolve_account
from domain.users.repository_patterns import FIELD, RepositoryName, parse_repository_pattern

MAX_VARIABLES = 200
MAX_NAME = 256
MAX_VALUE_BYTES = 32 * 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What Berth sets itself in every workspace process, so a user's value would be overwritten without a word:
# the supervisor's identity of the workspace user (supervisor/environment.py), and the BERTH_ names of the
# node agent and supervisor (BERTH_WORKSPACE_ID, BERTH_INSTANCE_ID, BERTH_TASK_INDEX, and any later one).
RESERVED_NAMES = frozenset({"HOME", "USER", "LOGNAME", "SHELL"})
RESERVED_PREFIXES = ("BERTH_",)
# What the supervisor's one-file bootloader uses for itself and removes before starting anything.
_BOOTLOADER_PREFIXES = ("_PYI_", "_MEIPASS")


class EnvVarSet(DomainEvent):
    """A variable was set (or its value replaced). `encrypted_value` is the value sealed with AES-256-GCM
    under the key `key_id` names (infra/secrets.py), never the value itself."""

    TYPE: ClassVar[str] = "user.env_var_set"
    name: str
    repository_pattern: str
    encrypted_value: str
    key_id: str


class EnvVarRemoved(DomainEvent):
    TYPE: ClassVar[str] = "user.env_var_removed"
    name: str
    repository_pattern: str


def check_env_var_name(name: str) -> str:
    """A POSIX environment variable name that Berth does not set itself, or InvalidInput(field="name")."""
    if not name:
        raise InvalidInput("name is empty", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name has more than {MAX_NAME} characters", field="name")
    if _NAME.fullmatch(name) is None:
        if name[0].isdigit():
            raise InvalidInput(f"name {name!r} starts with a digit; an environment variable name starts with a "
                               "letter or '_'", field="name")
        bad = next(c for c in name if not (c.isascii() and (c.isalnum() or c == "_")))
        raise InvalidInput(f"name {name!r} contains {bad!r}; an environment variable name has only ASCII "
                           "letters, digits and '_'", field="name")
    if name in RESERVED_NAMES:
        raise InvalidInput(f"name {name} is set by Berth for the workspace user; it cannot be overridden",
                           field="name")
    if name.startswith(RESERVED_PREFIXES):
        raise InvalidInput(f"name {name}: names starting with {', '.join(RESERVED_PREFIXES)} are Berth's own",
                           field="name")
    if name.startswith(_BOOTLOADER_PREFIXES):
        raise InvalidInput(f"name {name}: names starting with {', '.join(_BOOTLOADER_PREFIXES)} are used by "
                           "Berth's workspace supervisor", field="name")
    return name


def check_env_var_value(value: str) -> str:
    """What an environment can hold (no NUL), at most MAX_VALUE_BYTES in UTF-8; else InvalidInput(field="value")."""
    if "\0" in value:
        raise InvalidInput("value contains a NUL character, which no environment variable can hold", field="value")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_VALUE_BYTES:
        raise InvalidInput(f"value has {size} bytes; at most {MAX_VALUE_BYTES} (32 KiB) are allowed", field="value")
    return value


def canonical_pattern(pattern: str) -> str:
    return parse_repository_pattern(pattern).text


@dataclass(frozen=True, slots=True)
class SealedValue:
    """An encrypted value and the id of the key that sealed it."""

    encrypted_value: str
    key_id: str


EnvVarKey = tuple[str, str]
"""(name, canonical repository pattern): what identifies one variable of a user."""


@dataclass(frozen=True, slots=True)
class EnvVarsState(AccountState):
    variables: dict[EnvVarKey, SealedValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetEnvVar:
    name: str
    repository_pattern: str
    """Canonical (canonical_pattern): the encryption binds the value to it."""
    value: SealedValue


@dataclass(frozen=True, slots=True)
class RemoveEnvVar:
    name: str
    repository_pattern: str


EnvVarCommand = SetEnvVar | RemoveEnvVar


class EnvVarDecider:
    """Decides on the user stream next to UserDecider, SshKeyDecider and PreferencesDecider (each ignores the
    others' events)."""

    def initial_state(self) -> EnvVarsState:
        return EnvVarsState()

    def decide(self, state: EnvVarsState, command: EnvVarCommand) -> Sequence[DomainEvent]:
        state.require_user()
        name = check_env_var_name(command.name)
        pattern = canonical_pattern(command.repository_pattern)
        if isinstance(command, RemoveEnvVar):
            if (name, pattern) not in state.variables:
                raise NotFound(f"no environment variable {name} for {pattern}")
            return [EnvVarRemoved(name=name, repository_pattern=pattern)]
        state.require_unblocked()
        if pattern != command.repository_pattern:
            raise InvalidInput(f"repository_pattern {command.repository_pattern!r} is not canonical "
                               f"({pattern!r}); the value must be sealed for the canonical one", field=FIELD)
        if (name, pattern) not in state.variables and len(state.variables) >= MAX_VARIABLES:
            raise InvalidInput(f"a user has at most {MAX_VARIABLES} environment variables; remove one first",
                               field="name")
        return [EnvVarSet(name=name, repository_pattern=pattern, encrypted_value=command.value.encrypted_value,
                          key_id=command.value.key_id)]

    def evolve(self, state: EnvVarsState, event: DomainEvent) -> EnvVarsState:
        state = evolve_account(state, event)
        if isinstance(event, EnvVarSet):
            sealed = SealedValue(event.encrypted_value, event.key_id)
            return replace(state, variables={**state.variables, (event.name, event.repository_pattern): sealed})
        if isinstance(event, EnvVarRemoved):
            key = (event.name, event.repository_pattern)
            return replace(state, variables={k: v for k, v in state.variables.items() if k != key})
        return state


V = TypeVar("V")


def resolve_for(variables: Mapping[EnvVarKey, V], repository: RepositoryName) -> dict[str, tuple[str, V]]:
    """The variables a workspace of `repository` gets: name -> (the pattern that won, its value). Of several
    matching patterns of one name, the most specific wins (owner/repo > owner/* > */*); at most one pattern of
    each specificity can match a repository, so the winner is unique."""
    chosen: dict[str, tuple[str, V]] = {}
    for (name, pattern_text), value in variables.items():
        pattern = parse_repository_pattern(pattern_text)
        if not pattern.matches(repository):
            continue
        current = chosen.get(name)
        if current is None or parse_repository_pattern(current[0]).specificity < pattern.specificity:
            chosen[name] = (pattern_text, value)
    return chosen


def names_line(names: Iterable[str]) -> str:
    """`2 user variables (API_KEY, DB_URL)`: what may be shown of a workspace's variables (never values)."""
    ordered = sorted(names)
    if not ordered:
        return "no user variables"
    noun = "variable" if len(ordered) == 1 else "variables"
    return f"{len(ordered)} user {noun} ({', '.join(ordered)})"
