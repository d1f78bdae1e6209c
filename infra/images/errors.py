"""Typed failures of image resolution and builds; retrying any of them will not help."""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import PermanentError, TemporaryError


class ImageNotFound(PermanentError):
    """An image is neither in the local engine nor obtainable (no registry, or pulling disabled)."""

    def __init__(self, image: str, reason: str) -> None:
        super().__init__(f"image {image!r} is not available locally: {reason}")
        self.image = image
        self.reason = reason


class ContextChanged(TemporaryError):
    """A build-context file changed or vanished while it was read; a retry sees a settled state."""


class ImageBuildFailed(PermanentError):
    """The engine rejected a build; `log_tail` holds the last lines of the build output."""

    def __init__(self, message: str, log_tail: Sequence[str]) -> None:
        text = f"image build failed: {message}"
        if log_tail:
            text += "\n--- last build output ---\n" + "\n".join(log_tail)
        super().__init__(text)
        self.reason = message
        self.log_tail = tuple(log_tail)
