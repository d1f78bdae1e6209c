"""The owner's environment variables for one instance: folded from the owner's user stream when the instance's
container is created (so a change applies on the next start), resolved for the workspace's repository (the
most specific pattern of each name wins) and decrypted here, on the node, right before they become the
container's environment. The container's environment is what every process in the workspace starts from
(the supervisor's tasks, lifecycle commands, IDE and its terminals, exec and SSH sessions: see
supervisor/environment.py), below the repository config's `env` and a task's `env`, as in Gitpod.

Only names leave this module in messages; values go nowhere but the container request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import PermanentError
from domain.users.env_vars import EnvVarDecider, names_line, resolve_for
from domain.users.names import user_stream
from domain.users.repository_patterns import repository_name
from handlers.runtime.handler import HandlerContext
from infra.secrets import SecretBox, UndecryptableSecret, env_var_context


@dataclass(frozen=True)
class UserEnvironment:
    values: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """`environment: 2 user variables (API_KEY, DB_URL)`: names only."""
        return f"environment: {names_line(self.values)}"

    def __repr__(self) -> str:
        return f"UserEnvironment({sorted(self.values)})"  # never the values


async def user_environment(context: HandlerContext, owner: str, clone_url: str,
                           secrets: SecretBox | None) -> UserEnvironment:
    """PermanentError (the instance fails, saying which variable and why) when a value cannot be opened."""
    state = (await context.load(user_stream(owner), EnvVarDecider())).state
    chosen = resolve_for(state.variables, repository_name(clone_url))
    if not chosen:
        return UserEnvironment()
    if secrets is None:
        raise PermanentError(f"this node agent has no secrets key to open the owner's environment variables "
                             f"({', '.join(sorted(chosen))})")
    values: dict[str, str] = {}
    for name, (pattern, sealed) in sorted(chosen.items()):
        try:
            values[name] = secrets.open(sealed, env_var_context(owner, name, pattern))
        except UndecryptableSecret as error:
            raise PermanentError(f"environment variable {name} ({pattern}) cannot be decrypted: {error}; "
                                 f"set it again (berth env set {name}=... --repo '{pattern}')") from None
    return UserEnvironment(values)
