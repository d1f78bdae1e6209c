"""Typed errors shared by every layer; the gateway maps each to an RFC 9457 problem."""

from __future__ import annotations


class BerthError(Exception):
    """Base of every error Berth raises on purpose."""


class Conflict(BerthError):
    """The target moved on (stale version, duplicate id, an instance already active)."""


class NotFound(BerthError):
    """The named thing does not exist (or the caller may not know it does)."""


class InvalidInput(BerthError):
    """Input failed validation; `field` names what is wrong."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidConfig(InvalidInput):
    """A workspace config file is invalid; names the file, line and field."""

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str | None = None) -> None:
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {message}", field=field)
        self.file = file
        self.line = line


class TemporaryError(BerthError):
    """A failure that may pass: retried with backoff by the worker runtime."""


class Unavailable(TemporaryError):
    """A dependency (database, broker, engine) is down: not the event's fault, retried until it is back."""


class PermanentError(BerthError):
    """A failure that retrying will not fix: the event is parked as a dead letter."""


class StreamConflict(Conflict):
    """An append expected a stream version that is no longer current."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, but the append expected version {expected}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class IllegalTransition(Conflict):
    """A command asked a state machine for a transition it does not allow."""
