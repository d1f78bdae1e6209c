"""Stops workspaces nobody uses (inactivity) or that ran too long (max lifetime).

Time-driven rather than event-driven: every `interval` seconds it reads the workspaces read model (by
name, through infra, so handlers stay independent of projections) and asks each overdue instance to stop,
with the reason the user will see. Level-triggered: a restart simply sweeps again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.envelope import Cause, utc_now
from domain.errors import Conflict, TemporaryError
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider
from domain.workspace.phases import Phase
from handlers.runtime.handler import HandlerContext
from infra.readmodel.contract import Doc, ReadModelStore

NAME = "timeouts"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TimeoutPolicy:
    inactivity: timedelta = timedelta(minutes=30)
    max_lifetime: timedelta = timedelta(hours=8)


def _minutes(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


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


class TimeoutSweeper:
    def __init__(self, context: HandlerContext, views: ReadModelStore, policy: TimeoutPolicy = TimeoutPolicy(),
                 interval: float = 30.0) -> None:
        self._context = context
        self._views = views
        self._policy = policy
        self._interval = interval

    async def sweep(self, now: datetime) -> list[str]:
        """Ask every overdue instance to stop; returns the workspace ids asked."""
        stopped = []
        for doc in await self._views.list("workspaces", "workspaces"):
            reason = overdue_reason(doc, now, self._policy)
            if reason is None:
                continue
            stream = f"workspace-{doc['id']}"
            decider = WorkspaceDecider()
            workspace = await self._context.load(stream, decider)
            state = workspace.state
            if state.instance_id != doc["instance_id"] or state.phase is not Phase.RUNNING:
                continue  # the read model lags: the instance moved on already
            events = decider.decide(state, AdvanceInstance(doc["instance_id"], Phase.STOPPING, reason))
            try:
                await self._context.store.commit([self._context.append(stream, events, workspace.version,
                                                                        Cause(NAME))])
            except Conflict:
                continue  # something else happened to it just now; the next sweep looks again
            stopped.append(str(doc["id"]))
        return stopped

    async def run(self) -> None:
        while True:
            try:
                await self.sweep(utc_now())
            except TemporaryError as error:
                log.warning("timeouts: sweep skipped: %s", error)
            await asyncio.sleep(self._interval)
