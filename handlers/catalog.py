"""Every handler the platform runs, by name (used by `berth deadletters replay` too)."""

from __future__ import annotations

from handlers.runtime.handler import Handler


def all_handlers() -> list[Handler]:
    """The workspace lifecycle's workers join this list as they are built."""
    return []
