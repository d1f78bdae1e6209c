"""Workspace commands as the API runs them: every one first checks that the caller may touch the workspace
(owner or admin; anyone else is told it does not exist), then lets the domain decider decide."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from domain.context.parse import parse_context_url
from domain.envelope import Cause
from domain.errors import Conflict, InvalidInput, NotFound, StreamConflict
from domain.events import DomainEvent, Recorded
from domain.users.names import user_stream
from domain.users.preferences import PreferencesDecider
from domain.workspace.decider import (
    AdvanceInstance,
    CreateWorkspace,
    DeleteWorkspace,
    SetPinned,
    StartInstance,
    WorkspaceCommand,
    WorkspaceDecider,
    WorkspaceState,
    check_ide,
)
from domain.workspace.events import PortVisibilityChanged
from domain.workspace.ids import is_workspace_id, new_workspace_id
from domain.workspace.phases import Phase, is_active
from gateway.aggregates import Executed, Loaded, execute, load
from gateway.auth.decisions import may_see_workspace
from gateway.auth.identity import Identity
from gateway.workspaces.view import doc_from_history
from infra.readmodel.contract import Doc, ReadModelStore
from infra.store.contract import EventStore
from infra.store.records import NewEvent
from projections.workspaces import COLLECTION, PROJECTION, port_visibility
from schemas.codec import EventCodec

_CLASS = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
VISIBILITIES = ("public", "private")
_ID_ATTEMPTS = 5


def stream_of(workspace_id: str) -> str:
    return f"workspace-{workspace_id}"


def check_workspace_class(value: str) -> str:
    if _CLASS.fullmatch(value) is None:
        raise InvalidInput(f"{value!r} is not a workspace class name", field="workspace_class")
    return value


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InvalidInput(f"port {port} is not between 1 and 65535", field="port")
    return port


def check_visibility(value: object) -> str:
    if value not in VISIBILITIES:
        raise InvalidInput(f"visibility must be public or private, got {value!r}", field="visibility")
    return str(value)


class _PortVisibilityDecider(WorkspaceDecider):
    """The workspace decider, plus the one command it does not know yet: making a port public or private.
    It lives here until the domain decider takes it over; all it adds is 'the workspace must exist'."""

    def decide(self, state: WorkspaceState, command: WorkspaceCommand | SetPortVisibility) -> list[DomainEvent]:
        if isinstance(command, SetPortVisibility):
            if not state.exists:
                raise NotFound("workspace does not exist")
            return [PortVisibilityChanged(port=command.port, visibility=command.visibility)]
        return list(super().decide(state, command))


@dataclass(frozen=True, slots=True)
class SetPortVisibility:
    port: int
    visibility: str


@dataclass(frozen=True, slots=True)
class Outcome:
    doc: Doc
    changed: bool


class WorkspaceService:
    def __init__(self, store: EventStore, codec: EventCodec, views: ReadModelStore,
                 rng: random.Random | None = None) -> None:
        self._store = store
        self._codec = codec
        self._views = views
        self._rng = rng if rng is not None else random.SystemRandom()
        self._decider = _PortVisibilityDecider()

    async def create(self, identity: Identity, context_url: str, workspace_class: str,
                     ide: str | None = None) -> Doc:
        """`ide`: vscode or none; None = the user's preference, else vscode."""
        text = context_url.strip()
        parse_context_url(text)  # InvalidInput(field="context_url") before anything is written
        check_workspace_class(workspace_class)
        chosen = check_ide(ide) if ide is not None else await self.preferred_ide(identity.username)
        cause = Cause(identity.username)
        for _ in range(_ID_ATTEMPTS):
            workspace_id = new_workspace_id(self._rng)
            stream = stream_of(workspace_id)
            if await self._store.stream_version(stream) != 0:
                continue  # taken (36 bits of suffix make this rare); the append below guards the race
            created = self._decider.decide(WorkspaceState(), CreateWorkspace(
                workspace_id, identity.username, text, workspace_class, chosen))
            started = [self._decider.evolve(WorkspaceState(), e) for e in created][-1]
            requested = self._decider.decide(started, StartInstance(new_instance_id()))
            events = [*created, *requested]
            try:
                stored = await self._store.append(stream, [NewEvent.of(self._codec.encode(e), cause) for e in events],
                                                  0)
            except StreamConflict:
                continue
            doc = doc_from_history([Recorded(s.envelope, e) for s, e in zip(stored, events, strict=True)])
            assert doc is not None
            return doc
        raise InvalidInput("could not find a free workspace id; try again", field="workspace_id")

    async def preferred_ide(self, username: str) -> str:
        """The user's IDE preference, read from the user's stream (not the read model: a preference set a
        moment ago applies to the very next workspace)."""
        loaded = await load(self._store, self._codec, user_stream(username), PreferencesDecider())
        return loaded.current.state.workspace_ide

    async def _loaded(self, identity: Identity, workspace_id: str) -> Loaded[WorkspaceState]:
        """The workspace's state, or NotFound for a workspace that is gone or not the caller's."""
        if not is_workspace_id(workspace_id):
            raise NotFound(f"there is no workspace {workspace_id!r}")
        loaded = await load(self._store, self._codec, stream_of(workspace_id), self._decider)
        state = loaded.current.state
        if not state.exists or state.owner is None or not may_see_workspace(identity, state.owner):
            raise NotFound(f"there is no workspace {workspace_id!r}")
        return loaded

    async def _run(self, identity: Identity, workspace_id: str,
                   command: WorkspaceCommand | SetPortVisibility) -> Executed[WorkspaceState]:
        await self._loaded(identity, workspace_id)
        return await execute(self._store, self._codec, stream_of(workspace_id), self._decider, command,
                             Cause(identity.username))

    async def get(self, identity: Identity, workspace_id: str, min_version: int = 0) -> Doc:
        """`min_version`: the caller saw the workspace's event of that version (read your writes): a read
        model that has not folded it yet is passed over for the stream, which has."""
        doc = await self._views.get(PROJECTION, COLLECTION, workspace_id) if is_workspace_id(workspace_id) else None
        if doc is None or int(doc.get("version", 0)) < min_version:
            # Not in the read model yet (created a moment ago), behind, or never: the stream is the truth.
            loaded = await self._loaded(identity, workspace_id)
            doc = doc_from_history(loaded.history)
        if doc is None or not may_see_workspace(identity, str(doc["owner"])):
            raise NotFound(f"there is no workspace {workspace_id!r}")
        return doc

    async def list(self, identity: Identity, owner: str | None, phase: str | None) -> list[Doc]:
        if phase is not None and phase != "none" and phase not in {p.value for p in Phase}:
            raise InvalidInput(f"phase must be one of {', '.join(p.value for p in Phase)} or none, got {phase!r}",
                               field="phase")
        docs = await self._views.list(PROJECTION, COLLECTION)
        shown = [d for d in docs if may_see_workspace(identity, str(d["owner"]))
                 and (owner is None or d["owner"] == owner)
                 and (phase is None or d["phase"] == (None if phase == "none" else phase))]
        return sorted(shown, key=lambda d: (str(d.get("created_at")), str(d["id"])))

    async def everyone(self) -> Sequence[Doc]:
        """Every user's workspaces, most recently updated first (the admins' overview; the caller checks the
        role). The same documents `list` shows an admin, in the order an operator looks at them."""
        docs = await self._views.list(PROJECTION, COLLECTION)
        return sorted(docs, key=lambda d: (str(d.get("updated_at") or d.get("created_at")), str(d["id"])),
                      reverse=True)

    async def start(self, identity: Identity, workspace_id: str) -> Doc:
        executed = await self._run(identity, workspace_id, StartInstance(new_instance_id()))
        return _doc(executed)

    async def stop(self, identity: Identity, workspace_id: str) -> Outcome:
        """Stopping what is not active (never started, stopping, stopped, failed) changes nothing."""
        loaded = await self._loaded(identity, workspace_id)
        state = loaded.current.state
        if not is_active(state.phase) or state.phase is Phase.STOPPING or state.instance_id is None:
            doc = doc_from_history(loaded.history)
            assert doc is not None
            return Outcome(doc, changed=False)
        command = AdvanceInstance(state.instance_id, Phase.STOPPING, reason=f"stopped by {identity.username}")
        try:
            executed = await execute(self._store, self._codec, stream_of(workspace_id), self._decider, command,
                                     Cause(identity.username))
        except Conflict:
            # The instance moved on meanwhile (it failed, or a racing stop won): report where it is now.
            retry = await self._loaded(identity, workspace_id)
            if is_active(retry.current.state.phase) and retry.current.state.phase is not Phase.STOPPING:
                raise
            doc = doc_from_history(retry.history)
            assert doc is not None
            return Outcome(doc, changed=False)
        return Outcome(_doc(executed), changed=True)

    async def delete(self, identity: Identity, workspace_id: str) -> str | None:
        """Deletes even a running workspace: the event's reason says which instance the node agent removes.
        Returns that instance's description, or None when nothing was running."""
        loaded = await self._loaded(identity, workspace_id)
        state = loaded.current.state
        active = (f"instance {state.instance_id} ({state.phase}) is removed by its node"
                  if is_active(state.phase) else None)
        reason = f"deleted by {identity.username}" + (f"; {active}" if active else "")
        await self._run(identity, workspace_id, DeleteWorkspace(reason))
        return active

    async def set_pinned(self, identity: Identity, workspace_id: str, pinned: bool) -> Doc:
        """Pinning a pinned workspace (or unpinning an unpinned one) appends nothing."""
        return _doc(await self._run(identity, workspace_id, SetPinned(pinned)))

    async def set_port_visibility(self, identity: Identity, workspace_id: str, port: int, visibility: str) -> Doc:
        check_port(port)
        check_visibility(visibility)
        loaded = await self._loaded(identity, workspace_id)
        doc = doc_from_history(loaded.history)
        assert doc is not None
        if str(port) in doc.get("visibility", {}) and port_visibility(doc, port) == visibility:
            return doc  # already so: no event
        return _doc(await self._run(identity, workspace_id, SetPortVisibility(port, visibility)))


def new_instance_id() -> str:
    return uuid.uuid4().hex[:16]


def _doc(executed: Executed[WorkspaceState]) -> Doc:
    doc = doc_from_history(executed.history)
    assert doc is not None
    return doc
