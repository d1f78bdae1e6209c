"""devcontainer.json variables: `${localEnv:VAR}`, `${containerEnv:VAR:default}` and friends.

Pure: the environments are arguments. Berth has no "local" machine; the caller decides what plays
its part (e.g. the user's environment variables from settings). The container's environment only
exists once the container runs, so when `container_env` is None a `${containerEnv:…}` reference is
left as written, for the supervisor to resolve inside the workspace with the same function.
Variables Berth cannot know (`${localWorkspaceFolder}`, `${devcontainerId}`) are left as written too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

_VARIABLE = re.compile(r"\$\{([^{}]*)\}")


def substitute(
    text: str,
    *,
    local_env: Mapping[str, str],
    container_env: Mapping[str, str] | None = None,
    container_workspace_folder: str | None = None,
) -> str:
    """`text` with every variable the arguments can answer replaced.

    As in the spec, a missing variable without a default becomes the empty string.
    """

    def replace(match: re.Match[str]) -> str:
        kind, _, rest = match.group(1).partition(":")
        name, has_default, default = rest.partition(":")
        if kind in ("localEnv", "env") and name:
            return local_env.get(name, default if has_default else "")
        if kind == "containerEnv" and name and container_env is not None:
            return container_env.get(name, default if has_default else "")
        if not rest and container_workspace_folder is not None:
            if kind == "containerWorkspaceFolder":
                return container_workspace_folder
            if kind == "containerWorkspaceFolderBasename":
                return posixpath.basename(container_workspace_folder.rstrip("/"))
        return match.group(0)

    return _VARIABLE.sub(replace, text)
