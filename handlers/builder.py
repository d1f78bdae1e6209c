"""The image builder worker: `workspace.image_requested` -> a local image, built only when its cache key
(every input of the build, see infra/images/cache_key.py) has no image yet.

A build streams its output as `image.build_log` events on the image's own stream, batched twice a
second; the outcome is `image.built` or `image.build_failed` there, and `workspace.image_ready` or a
failed instance (with the log's tail as the reason) on the workspace stream. Builds are level-triggered:
a redelivered request finds the image in the cache and only reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from domain.config import DockerfileBuild as ConfigDockerfileBuild
from domain.config import ImageRef as ConfigImageRef
from domain.config import ImageSpec as ConfigImageSpec
from domain.envelope import Cause
from domain.errors import InvalidInput, PermanentError, StreamConflict
from domain.events import DomainEvent, Recorded
from domain.image.events import ImageBuildFailed, ImageBuildLog, ImageBuildStarted, ImageBuilt, image_stream
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider
from domain.workspace.events import ContextResolved, ImageReady, ImageRequested
from domain.workspace.phases import Phase, is_active
from handlers.runtime.handler import HandlerContext
from infra.images.builder import ImageBuilder
from infra.images.cache_key import plan_build
from infra.images.errors import ImageBuildFailed as BuildError
from infra.images.spec import DockerfileBuild, ImageRef
from infra.store.records import Append

NAME = "builder"
LOG_FLUSH_SECONDS = 0.5

# Checks out a repository at a commit into a temporary directory for the duration of the block.
Checkout = Callable[[str, str], AbstractAsyncContextManager[Path]]


IMAGE_SPEC: TypeAdapter[ConfigImageSpec] = TypeAdapter(ConfigImageSpec)


def parse_image_spec(text: str) -> ConfigImageRef | ConfigDockerfileBuild:
    """The `spec` of a workspace.image_requested event: the config's image, as JSON."""
    try:
        return IMAGE_SPEC.validate_json(text)
    except ValidationError as error:
        raise InvalidInput(f"image spec is invalid: {error}", field="spec") from None


def in_checkout(spec: ConfigDockerfileBuild, root: Path) -> DockerfileBuild:
    """The build of a config's Dockerfile with the repository checked out at `root` (paths in the config are
    repository-relative and already checked to stay inside it)."""
    return DockerfileBuild(context=root / spec.context, dockerfile=str(root / spec.dockerfile),
                           build_args=dict(spec.args), target=spec.target)


class BuilderHandler:
    name = NAME
    event_types = frozenset({ImageRequested.TYPE})

    def __init__(self, builder: ImageBuilder, checkout: Checkout) -> None:
        self._builder = builder
        self._checkout = checkout

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        request = event.payload
        assert isinstance(request, ImageRequested)
        workspace = await context.load(event.envelope.stream_id, WorkspaceDecider())
        state = workspace.state
        if state.instance_id != request.instance_id or not is_active(state.phase):
            return []  # the instance was stopped or replaced meanwhile: nothing to build for
        cause = Cause(NAME).following(event.envelope, NAME)
        try:
            spec = parse_image_spec(request.spec)
            ready = await self._ensure(spec, event, context, cause)
        except PermanentError as error:
            reason = str(error)  # a failed build's message ends with the tail of its log
            failed = WorkspaceDecider().decide(state, AdvanceInstance(request.instance_id, Phase.FAILED, reason))
            return [context.append(event.envelope.stream_id, failed, workspace.version, cause)]
        return [context.append(event.envelope.stream_id, [ready], workspace.version, cause)]

    async def _ensure(self, spec: ConfigImageRef | ConfigDockerfileBuild, event: Recorded,
                      context: HandlerContext, cause: Cause) -> ImageReady:
        instance_id = event.payload.instance_id  # type: ignore[attr-defined]
        if isinstance(spec, ConfigImageRef):
            built = await asyncio.to_thread(self._builder.ensure, ImageRef(spec.name))
            return ImageReady(instance_id=instance_id, image=built.image_id, cache_key=built.key.value,
                              cache_hit=True)
        source = await _resolved_context(event, context)
        async with self._checkout(source.clone_url, source.commit) as root:
            build = in_checkout(spec, root)
            plan = await asyncio.to_thread(plan_build, build, self._builder.images)
            key = plan.key()
            cached = await asyncio.to_thread(self._builder.lookup, key)
            if cached is not None:
                return ImageReady(instance_id=instance_id, image=cached, cache_key=key.value, cache_hit=True)
            stream = image_stream(key.value)
            workspace_id = event.envelope.stream_id.removeprefix("workspace-")
            await _append(context, stream, [ImageBuildStarted(cache_key=key.value, workspace_id=workspace_id,
                                                              instance_id=instance_id)], cause)
            started = time.monotonic()
            async with _streamed_log(context, stream, cause) as on_log:
                try:
                    built = await asyncio.to_thread(self._builder.build, plan, on_log)
                except BuildError as error:
                    await _append(context, stream, [ImageBuildFailed(reason=error.reason,
                                                                     log_tail=list(error.log_tail))], cause)
                    raise
            await _append(context, stream, [ImageBuilt(image_id=built.image_id, tag=built.tag or "",
                                                       seconds=time.monotonic() - started)], cause)
            return ImageReady(instance_id=instance_id, image=built.image_id, cache_key=built.key.value,
                              cache_hit=False)


async def _resolved_context(event: Recorded, context: HandlerContext) -> ContextResolved:
    instance_id = event.payload.instance_id  # type: ignore[attr-defined]
    for stored in reversed(await context.store.read_stream(event.envelope.stream_id)):
        if stored.envelope.type == ContextResolved.TYPE:
            resolved = context.codec.decode(stored.envelope.type, stored.envelope.schema, stored.payload)
            assert isinstance(resolved, ContextResolved)
            if resolved.instance_id == instance_id:
                return resolved
    raise PermanentError(f"instance {instance_id} asked for a Dockerfile build before its context was resolved")


async def _append(context: HandlerContext, stream: str, events: Sequence[DomainEvent], cause: Cause) -> None:
    """Append to an image stream at its current version (several builds of one key may interleave)."""
    while True:
        version = await context.store.stream_version(stream)
        try:
            await context.store.commit([context.append(stream, events, version, cause)])
            return
        except StreamConflict:
            continue  # another build of the same key appended meanwhile: append after it


@contextlib.asynccontextmanager
async def _streamed_log(context: HandlerContext, stream: str, cause: Cause) -> AsyncIterator[Callable[[str], None]]:
    """A log sink usable from the build thread; lines reach the image stream in batches."""
    loop = asyncio.get_running_loop()
    pending: list[str] = []

    def on_log(line: str) -> None:
        loop.call_soon_threadsafe(pending.append, line)

    async def flush() -> None:
        if pending:
            lines = pending[:]
            del pending[: len(lines)]
            await _append(context, stream, [ImageBuildLog(lines=lines)], cause)

    stopping = asyncio.Event()

    async def flush_periodically() -> None:
        # Never cancelled: a cancel landing in a flush's append lost the batch it had taken from `pending`
        # (a build's last lines went missing from its log). It is told to stop, and ends with a last flush.
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), LOG_FLUSH_SECONDS)
            await flush()
        await flush()  # what came while the last append was under way

    flusher = asyncio.create_task(flush_periodically())
    try:
        yield on_log
    finally:
        await asyncio.sleep(0)  # let lines scheduled by the build thread land
        stopping.set()
        await flusher
