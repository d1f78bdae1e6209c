"""Events of an image stream (`image-<cache key hex>`)."""

from __future__ import annotations

from typing import ClassVar

from domain.events import DomainEvent


class ImageBuildStarted(DomainEvent):
    TYPE: ClassVar[str] = "image.build_started"
    cache_key: str
    workspace_id: str
    instance_id: str


class ImageBuildLog(DomainEvent):
    """A batch of build output lines, in order (batched so a chatty build does not flood the log)."""

    TYPE: ClassVar[str] = "image.build_log"
    lines: list[str]


class ImageBuilt(DomainEvent):
    TYPE: ClassVar[str] = "image.built"
    image_id: str
    tag: str
    seconds: float


class ImageBuildFailed(DomainEvent):
    TYPE: ClassVar[str] = "image.build_failed"
    reason: str
    log_tail: list[str]


def image_stream(cache_key: str) -> str:
    """`sha256:ab12...` -> `image-ab12...` (the hex digest names the stream)."""
    return "image-" + cache_key.removeprefix("sha256:")
