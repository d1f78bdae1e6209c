"""The preparer worker (the content handler's first job): a requested instance gets its context resolved
against the real remote, its config read from that commit, and its image requested.

A workspace keeps the commit its first instance resolved: later instances restart from the backup of
that content, so they read the config of the same commit instead of following the branch.
Anything the user got wrong (an unreachable repository, an unknown branch, an invalid config file) fails
the instance with the reason; an outage of the remote is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from domain.config import CONFIG_FILES, WorkspaceConfig, load_workspace_config
from domain.context.model import ContextUrl, ResolvedContext
from domain.context.parse import parse_context_url
from domain.envelope import Cause
from domain.errors import InvalidInput, PermanentError
from domain.events import DomainEvent, Recorded
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider, WorkspaceState
from domain.workspace.events import ConfigResolved, ContextResolved, ImageRequested, InstanceRequested
from domain.workspace.phases import Phase
from handlers.runtime.handler import HandlerContext
from infra.store.records import Append

NAME = "preparer"

ResolveContext = Callable[[ContextUrl], Awaitable[ResolvedContext]]
ReadFiles = Callable[[str, str, Sequence[str]], Awaitable[dict[str, str]]]


class PreparerHandler:
    name = NAME
    event_types = frozenset({InstanceRequested.TYPE})

    def __init__(self, resolve: ResolveContext, read_files: ReadFiles, default_image: str) -> None:
        self._resolve = resolve
        self._read_files = read_files
        self._default_image = default_image

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        requested = event.payload
        assert isinstance(requested, InstanceRequested)
        decider = WorkspaceDecider()
        workspace = await context.load(event.envelope.stream_id, decider)
        state = workspace.state
        if state.instance_id != requested.instance_id or state.phase is not Phase.PENDING:
            return []  # already prepared (a redelivery), or replaced by a newer instance
        cause = Cause(NAME).following(event.envelope, NAME)
        events: list[DomainEvent] = []
        state = _apply(decider, state, events, AdvanceInstance(requested.instance_id, Phase.PREPARING,
                                                                "resolving the context"))
        try:
            resolved = await self._context_of(state, event, context)
            files = await self._read_files(resolved.clone_url, resolved.commit, CONFIG_FILES)
            config = load_workspace_config(files, default_image=self._default_image)
        except (InvalidInput, PermanentError) as error:  # the user's to fix: say so, do not retry
            _apply(decider, state, events, AdvanceInstance(requested.instance_id, Phase.FAILED, str(error)))
            return [context.append(event.envelope.stream_id, events, workspace.version, cause)]
        events.extend(_prepared(requested.instance_id, resolved, config))
        return [context.append(event.envelope.stream_id, events, workspace.version, cause)]

    async def _context_of(self, state: WorkspaceState, event: Recorded, context: HandlerContext) -> ResolvedContext:
        """The commit of the workspace's first instance, or the context URL resolved now."""
        for stored in await context.store.read_stream(event.envelope.stream_id):
            if stored.envelope.type == ContextResolved.TYPE:
                earlier = context.codec.decode(stored.envelope.type, stored.envelope.schema, stored.payload)
                assert isinstance(earlier, ContextResolved)
                return ResolvedContext(clone_url=earlier.clone_url, ref=earlier.ref, commit=earlier.commit,
                                       path=earlier.path)
        assert state.context_url is not None
        return await self._resolve(parse_context_url(state.context_url))


def _apply(decider: WorkspaceDecider, state: WorkspaceState, events: list[DomainEvent],
           command: AdvanceInstance) -> WorkspaceState:
    for decided in decider.decide(state, command):
        events.append(decided)
        state = decider.evolve(state, decided)
    return state


def _prepared(instance_id: str, resolved: ResolvedContext, config: WorkspaceConfig) -> list[DomainEvent]:
    return [
        ContextResolved(instance_id=instance_id, clone_url=resolved.clone_url, ref=resolved.ref,
                        commit=resolved.commit, path=resolved.path),
        ConfigResolved(instance_id=instance_id, config=config.model_dump_json(), sources=list(config.sources),
                       warnings=[str(w) for w in config.warnings]),
        ImageRequested(instance_id=instance_id, spec=config.image.model_dump_json()),
    ]
