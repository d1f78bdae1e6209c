"""What a workspace container runs from (an image spec), and how image names resolve locally."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A ready image, by name (`berth/base:latest`, `gitpod/workspace-full`) or id."""

    name: str


@dataclass(frozen=True, slots=True)
class DockerfileBuild:
    """An image built from a Dockerfile; `dockerfile` is relative to `context` unless absolute."""

    context: Path
    dockerfile: str = "Dockerfile"
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None

    @property
    def dockerfile_path(self) -> Path:
        return self.context / self.dockerfile


ImageSpec = ImageRef | DockerfileBuild


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    """A local image as the cache key sees it.

    `env` is the image's ENV (None when unknown): a COPY path may use a variable the base image
    defines, so without it such paths are treated conservatively. `onbuild` holds the image's
    ONBUILD triggers, which run in (and may COPY from the context of) the build that uses it.
    """

    id: str
    env: Mapping[str, str] | None = None
    onbuild: tuple[str, ...] = ()


# Maps an image name to the local image; a plain id string is enough when env and triggers are unknown.
ImageResolver = Callable[[str], "str | ResolvedImage"]


def as_resolved(value: str | ResolvedImage) -> ResolvedImage:
    return value if isinstance(value, ResolvedImage) else ResolvedImage(value)
