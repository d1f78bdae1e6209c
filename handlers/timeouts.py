"""Stops workspaces nobody uses (inactivity) or that ran too long (max lifetime), and deletes workspaces that
have been stopped (or failed) for the retention period unless their owner pinned them (like Gitpod).

Time-driven rather than event-driven: every `interval` seconds it reads the workspaces read model (by
name, through infra, so handlers stay independent of projections) and asks each overdue instance to stop,
or deletes each expired workspace, with the reason the user will see in the timeline. The read model only
nominates: each decision is made again on the workspace's stream (pinned a moment ago, started again),
so a lagging read model never deletes what should stay. Level-triggered: a restart simply sweeps again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.envelope import Cause, utc_now
from domain.errors import Conflict, TemporaryError
from domain.workspace.decider import (
    AdvanceInstance,
    DeleteWorkspace,
    WorkspaceCommand,
    WorkspaceDecider,
    WorkspaceState,
)
from domain.workspace.phases import TERMINAL, Phase
from handlers.runtime.handler import HandlerContext
from infra.readmodel.contract import Doc, ReadModelStore

NAME = "timeouts"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TimeoutPolicy:
    inactivity: timedelta = timedelta(minutes=30)
    max_lifetime: timedelta = timedelta(hours=8)
    retention: timedelta = timedelta(days=14)
    """How long an unpinned workspace may stay stopped (or failed) before it is deleted."""


def _minutes(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def _span(span: timedelta) -> str:
    """`14 days`, `1.5 hours`, `30 seconds`: the retention period as a person would say it."""
    seconds = span.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            value = round(seconds / size, 1)
            return f"{value:g} {unit}{'' if value == 1 else 's'}"
    raise AssertionError("unreachable")


def expired_reason(doc: Doc, now: datetime, policy: TimeoutPolicy) -> str | None:
    """Why a stopped or failed, unpinned workspace should be deleted now, or None."""
    phase = doc.get("phase")
    if phase not in (Phase.STOPPED.value, Phase.FAILED.value) or doc.get("pinned", False):
        return None
    if doc.get("backup_failed"):
        return None  # its kept volume is the only copy of its content: deleting it would lose work
    # Documents from before `stopped_at` existed: their last update is when they ended (or later).
    ended = doc.get("stopped_at") or doc.get("updated_at")
    if ended is None or now - datetime.fromisoformat(ended) < policy.retention:
        return None
    if phase == Phase.STOPPED.value:
        return f"deleted: stopped for {_span(policy.retention)} and not pinned"
    return f"deleted: failed {_span(policy.retention)} ago and not pinned"


def overdue_reason(doc: Doc, now: datetime, policy: TimeoutPolicy) -> str | None:
    """Why a running workspace should stop now, or None."""
    if doc.get("phase") != Phase.RUNNING.value:
        return None
    started = doc.get("instance_started_at")
    if started is not None and now - datetime.fromisoformat(started) >= policy.max_lifetime:
        return f"stopped: reached the maximum lifetime of {_minutes(policy.max_lifetime)}"
    active = doc.get("last_activity_at")
    if active is not None and now - datetime.fromisoformat(active) >= policy.inactivity:
        return f"stopped: inactive for {_minutes(policy.inactivity)}"
    return None


def _stop(doc: Doc, state: WorkspaceState, reason: str) -> WorkspaceCommand | None:
    """The stop the read model nominated `doc`'s instance for, if its stream still has it running."""
    if state.instance_id != doc["instance_id"] or state.phase is not Phase.RUNNING:
        return None  # the read model lags: the instance moved on already
    return AdvanceInstance(doc["instance_id"], Phase.STOPPING, reason)


def _delete(doc: Doc, state: WorkspaceState, reason: str) -> WorkspaceCommand | None:
    """The deletion the read model nominated `doc` for, if its stream still has it ended and not pinned."""
    if not state.exists or state.pinned or state.phase not in TERMINAL or state.instance_id != doc["instance_id"]:
        return None  # the read model lags: pinned, started again or deleted meanwhile
    return DeleteWorkspace(reason)


class TimeoutSweeper:
    def __init__(self, context: HandlerContext, views: ReadModelStore, policy: TimeoutPolicy = TimeoutPolicy(),
                 interval: float = 30.0) -> None:
        self._context = context
        self._views = views
        self._policy = policy
        self._interval = interval

    async def sweep(self, now: datetime) -> list[str]:
        """Ask every overdue instance to stop; returns the workspace ids asked."""
        return await self._act(now, overdue_reason, _stop)

    async def delete_expired(self, now: datetime) -> list[str]:
        """Delete every workspace stopped (or failed) for the retention period and not pinned; returns their
        ids."""
        return await self._act(now, expired_reason, _delete)

    async def _act(self, now: datetime, nominate: Callable[[Doc, datetime, TimeoutPolicy], str | None],
                   decide: Callable[[Doc, WorkspaceState, str], WorkspaceCommand | None]) -> list[str]:
        """For each workspace the read model nominates (with the reason the user will see), `decide` looks
        again at its stream and names the command, or None when the stream says otherwise; the events are
        committed at the version they were decided on. Returns the ids acted on."""
        done = []
        for doc in await self._views.list("workspaces", "workspaces"):
            reason = nominate(doc, now, self._policy)
            if reason is None:
                continue
            stream = f"workspace-{doc['id']}"
            decider = WorkspaceDecider()
            workspace = await self._context.load(stream, decider)
            command = decide(doc, workspace.state, reason)
            if command is None:
                continue
            events = decider.decide(workspace.state, command)
            try:
                await self._context.store.commit([self._context.append(stream, events, workspace.version,
                                                                        Cause(NAME))])
            except Conflict:
                continue  # something else happened to it just now; the next sweep looks again
            done.append(str(doc["id"]))
        return done

    async def run(self) -> None:
        while True:
            try:
                now = utc_now()
                await self.sweep(now)
                await self.delete_expired(now)
            except TemporaryError as error:
                log.warning("timeouts: sweep skipped: %s", error)
            await asyncio.sleep(self._interval)
