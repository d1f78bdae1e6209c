"""The environment of the processes the supervisor starts (tasks and lifecycle commands).

It is the container's environment (what the image set), cleaned of what the PyInstaller bootloader
added, plus who the user is, plus the config's variables. devcontainer.json values may still hold
`${containerEnv:VAR}` or `${containerEnv:VAR:default}`: the control plane cannot know the container's
environment, so those are resolved here against it (the same rule as the control plane's
substitution: a missing variable without a default becomes the empty string).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping

from supervisor.users import Identity

_CONTAINER_ENV = re.compile(r"\$\{containerEnv:([^{}:]+)(?::([^{}]*))?\}")
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Variables the PyInstaller bootloader sets for its own use; children must not inherit them
# (a bundled library path would make system programs load the bundle's libraries).
_LIBRARY_PATHS = ("LD_LIBRARY_PATH",)
_BOOTLOADER_PREFIXES = ("_PYI_", "_MEIPASS")


def container_env(raw: Mapping[str, str], frozen: bool | None = None) -> dict[str, str]:
    """The container's own environment from the supervisor's, undoing the bootloader's changes."""
    env = dict(raw)
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        for name in _LIBRARY_PATHS:
            original = env.pop(f"{name}_ORIG", None)
            if original is None:
                env.pop(name, None)
            else:
                env[name] = original
        for name in list(env):
            if name.startswith(_BOOTLOADER_PREFIXES):
                del env[name]
    return env


def resolve_container_env(value: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return env.get(match.group(1), match.group(2) or "")

    return _CONTAINER_ENV.sub(replace, value)


def process_env(base: Mapping[str, str], identity: Identity, *layers: Mapping[str, str]) -> dict[str, str]:
    """`base` (the container env) + the user's identity + each layer in order, later layers winning."""
    env = dict(base)
    env.setdefault("PATH", _DEFAULT_PATH)
    # Processes run on a terminal (see `processes`); tools pick colours and line editing from TERM.
    env.setdefault("TERM", "xterm-256color")
    env.update(HOME=identity.home, USER=identity.name, LOGNAME=identity.name, SHELL=identity.shell)
    for layer in layers:
        for name, value in layer.items():
            env[name] = resolve_container_env(value, base)
    return env
