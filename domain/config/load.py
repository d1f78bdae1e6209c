"""Which config file a workspace uses, and the defaults when the repository has none."""

from __future__ import annotations

from collections.abc import Mapping

from domain.config.devcontainer import DEVCONTAINER_FILES, parse_devcontainer_json
from domain.config.gitpod import GITPOD_FILE, parse_gitpod_yml
from domain.config.model import DEFAULT_IMAGE, ConfigWarning, ImageRef, WorkspaceConfig

CONFIG_FILES = (GITPOD_FILE, *DEVCONTAINER_FILES)
"""The repo-relative paths to read before calling `load_workspace_config`, in order of precedence."""


def load_workspace_config(
    files: Mapping[str, str],
    *,
    default_image: str = DEFAULT_IMAGE,
    local_env: Mapping[str, str] | None = None,
    container_env: Mapping[str, str] | None = None,
    container_workspace_folder: str | None = None,
) -> WorkspaceConfig:
    """The workspace config of a repository, from its config files (repo-relative path → text).

    Paths not in `CONFIG_FILES` are ignored, so the caller may pass whatever it read. Precedence,
    when several are present: **`.gitpod.yml` wins**, then `.devcontainer/devcontainer.json`, then
    `.devcontainer.json` (the devcontainer spec's own order). Why Gitpod's file first:

    - Berth's model is Gitpod's. `.gitpod.yml` says everything Berth can do (tasks whose `init`
      runs in prebuilds, public or private ports); devcontainer.json says only part of it.
    - A repository with both usually keeps devcontainer.json for local VS Code or Codespaces, often
      built on features or Docker Compose that Berth does not run yet, while its `.gitpod.yml` was
      written for a hosted workspace like Berth's.
    - Repositories that worked on Gitpod (which reads only `.gitpod.yml`) start the same here.

    A file that loses is not parsed, so its errors cannot block a start; it is listed in
    `ignored_sources` and a warning says so, for the user to see with the workspace.
    No config file: `default_image` and nothing else.

    `local_env`, `container_env` and `container_workspace_folder` feed devcontainer.json variables
    (see `domain.config.substitution`). Raises InvalidConfig for an invalid file that is used.
    """
    present = {_normalize(path): text for path, text in files.items()}
    found = [path for path in CONFIG_FILES if path in present]
    if not found:
        return WorkspaceConfig(image=ImageRef(name=default_image))
    chosen, ignored = found[0], tuple(found[1:])
    if chosen == GITPOD_FILE:
        config = parse_gitpod_yml(present[chosen], file=chosen, default_image=default_image)
    else:
        config = parse_devcontainer_json(
            present[chosen],
            file=chosen,
            default_image=default_image,
            local_env=local_env,
            container_env=container_env,
            container_workspace_folder=container_workspace_folder,
        )
    if not ignored:
        return config
    notes = tuple(
        ConfigWarning(file=path, message=f"{path} is ignored because {chosen} takes precedence") for path in ignored
    )
    return config.model_copy(update={"ignored_sources": ignored, "warnings": (*notes, *config.warnings)})


def _normalize(path: str) -> str:
    return path[2:] if path.startswith("./") else path
