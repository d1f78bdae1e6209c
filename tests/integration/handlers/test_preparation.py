"""From a requested instance to a scheduled one: the preparer, builder and scheduler workers together,
against a real git server on loopback and the real Docker engine."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import docker
import pytest

from domain.config import DEFAULT_IMAGE
from domain.context.model import ContextUrl, ResolvedContext
from domain.envelope import Cause
from domain.events import DomainEvent
from domain.image.events import ImageBuildFailed, ImageBuildLog, ImageBuildStarted, ImageBuilt
from domain.node.decider import RegisterNode
from domain.workspace.decider import CreateWorkspace, StartInstance, WorkspaceDecider
from domain.workspace.events import ConfigResolved, ContextResolved, ImageReady, InstancePhaseChanged
from handlers.builder import BuilderHandler
from handlers.preparer import PreparerHandler
from handlers.runtime.handler import Handler, HandlerContext
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from handlers.scheduler import ConfiguredNodes, SchedulerHandler
from infra.git import GitCache, read_files_at, resolve_context
from infra.git.checkout import checked_out
from infra.images.builder import ImageBuilder
from infra.images.local_images import LocalImages, connect
from infra.store.sqlite import SqliteEventStore
from node_agent.registration import register_node
from schemas.codec import EventCodec
from tests.gitserver import BareRepo, Seeded, SmartHttpServer
from tests.waiting import eventually

pytestmark = pytest.mark.docker
CODEC = EventCodec()


def workspace_images(api: docker.APIClient) -> set[str]:
    return {tag for image in api.images(name="berth/ws") for tag in image.get("RepoTags") or []}


@pytest.fixture
def engine() -> Iterator[docker.APIClient]:
    """The real engine; images the test built are removed afterwards."""
    api = connect()
    before = workspace_images(api)
    yield api
    for tag in workspace_images(api) - before:
        with contextlib.suppress(docker.errors.APIError):
            api.remove_image(tag)
    api.close()


@pytest.fixture
async def platform(tmp_path: Path, engine: docker.APIClient) -> AsyncIterator[SqliteEventStore]:
    store = await SqliteEventStore(tmp_path / "berth.db", poll_interval=0.05).open()
    cache = GitCache(tmp_path / "git-cache")

    def checkout(url: str, commit: str) -> contextlib.AbstractAsyncContextManager[Path]:
        return checked_out(url, commit, cache=cache)

    async def read(url: str, commit: str, paths: Sequence[str]) -> dict[str, str]:
        return await read_files_at(url, commit, paths, cache=cache)

    async def resolve(url: ContextUrl) -> ResolvedContext:
        return await resolve_context(url, cache=cache)

    handlers: list[Handler] = [
        PreparerHandler(resolve, read, DEFAULT_IMAGE),
        BuilderHandler(ImageBuilder(engine, LocalImages(engine)), checkout),
        SchedulerHandler(ConfiguredNodes("local")),
    ]
    await register_node(HandlerContext(store, CODEC), RegisterNode("local", 2, 8 << 30, 10))  # room to schedule
    workers = [Worker(h, StoreEventSource(store, h.name, checkpoint_interval=0.1), store, CODEC) for h in handlers]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    yield store
    for worker in workers:
        await worker.stop(5)
    await asyncio.gather(*tasks, return_exceptions=True)
    await store.close()


def repository(seeded: Seeded, files: dict[str, str | None]) -> tuple[str, BareRepo]:
    name = f"scratch/ws-{uuid.uuid4().hex[:8]}"
    repo = BareRepo.create(seeded.root / f"{name}.git")
    repo.commit("main", files)
    return name, repo


async def start_workspace(store: SqliteEventStore, context_url: str, workspace_id: str) -> str:
    decider = WorkspaceDecider()
    state = decider.initial_state()
    events: list[DomainEvent] = []
    for command in (CreateWorkspace(workspace_id, "alice", context_url), StartInstance("i1")):
        for event in decider.decide(state, command):
            events.append(event)
            state = decider.evolve(state, event)
    await HandlerContext(store, CODEC).store.commit(
        [HandlerContext(store, CODEC).append(f"workspace-{workspace_id}", events, 0, Cause("alice"))])
    return f"workspace-{workspace_id}"


async def history(store: SqliteEventStore, stream: str) -> list[DomainEvent]:
    return [CODEC.decode(e.envelope.type, e.envelope.schema, e.payload) for e in await store.read_stream(stream)]


async def phases(store: SqliteEventStore, stream: str) -> list[tuple[str, str | None]]:
    return [(e.phase, e.reason) for e in await history(store, stream) if isinstance(e, InstancePhaseChanged)]


async def settled(store: SqliteEventStore, stream: str) -> bool:
    return any(phase in ("scheduled", "failed") for phase, _ in await phases(store, stream))


DOCKERFILE = "FROM berth/base:latest\nCOPY tools.txt /opt/tools.txt\nRUN cat /opt/tools.txt\n"


async def test_a_dockerfile_repo_is_built_once_and_scheduled(platform: SqliteEventStore, seeded: Seeded,
                                                             git_http: SmartHttpServer) -> None:
    marker = uuid.uuid4().hex
    name, _ = repository(seeded, {
        ".gitpod.yml": "image:\n  file: .gitpod.Dockerfile\ntasks:\n  - init: echo hi\n",
        ".gitpod.Dockerfile": DOCKERFILE, "tools.txt": f"tools {marker}\n",
    })
    stream = await start_workspace(platform, git_http.url(name), "dock-one-aaaaaa")
    await eventually(lambda: settled(platform, stream), within=180)
    assert [p for p, _ in await phases(platform, stream)] == ["preparing", "scheduled"]
    events = await history(platform, stream)
    (context,) = [e for e in events if isinstance(e, ContextResolved)]
    (config,) = [e for e in events if isinstance(e, ConfigResolved)]
    (ready,) = [e for e in events if isinstance(e, ImageReady)]
    assert context.ref == "refs/heads/main" and len(context.commit) == 40
    assert config.sources == [".gitpod.yml"]
    assert not ready.cache_hit and ready.image.startswith("sha256:")
    image_events = [CODEC.decode(e.envelope.type, e.envelope.schema, e.payload)
                    for e in await platform.read_all(0, 10_000) if e.stream_id.startswith("image-")]
    assert isinstance(image_events[0], ImageBuildStarted) and isinstance(image_events[-1], ImageBuilt)
    logged = [line for e in image_events if isinstance(e, ImageBuildLog) for line in e.lines]
    assert any(marker in line for line in logged), "the build's own output is streamed as events"

    # A second workspace of the same content hits the cache: no build, same image.
    again = await start_workspace(platform, git_http.url(name), "dock-two-bbbbbb")
    await eventually(lambda: settled(platform, again), within=60)
    (second,) = [e for e in await history(platform, again) if isinstance(e, ImageReady)]
    assert second.cache_hit and second.image == ready.image


async def test_a_failed_build_fails_the_workspace_with_the_log_tail(platform: SqliteEventStore, seeded: Seeded,
                                                                    git_http: SmartHttpServer) -> None:
    name, _ = repository(seeded, {
        ".gitpod.yml": "image:\n  file: Dockerfile\n",
        "Dockerfile": "FROM berth/base:latest\nRUN echo about-to-fail && exit 3\n",
    })
    stream = await start_workspace(platform, git_http.url(name), "fail-build-cccccc")
    await eventually(lambda: settled(platform, stream), within=120)
    (last_phase, reason) = (await phases(platform, stream))[-1]
    assert last_phase == "failed"
    assert reason is not None and "about-to-fail" in reason and "image build failed" in reason
    failures = [CODEC.decode(e.envelope.type, e.envelope.schema, e.payload) for e in await platform.read_all(0, 10_000)
                if e.envelope.type == ImageBuildFailed.TYPE]
    assert failures and any("about-to-fail" in line for line in failures[0].log_tail)  # type: ignore[attr-defined]


async def test_an_unknown_branch_fails_with_the_reason(platform: SqliteEventStore, seeded: Seeded,
                                                      git_http: SmartHttpServer) -> None:
    name, _ = repository(seeded, {"README.md": "hi\n"})
    url = git_http.url(name).removesuffix(".git") + "/tree/no-such-branch"
    stream = await start_workspace(platform, url, "bad-branch-dddddd")
    await eventually(lambda: settled(platform, stream), within=60)
    (last_phase, reason) = (await phases(platform, stream))[-1]
    assert last_phase == "failed" and reason is not None and "no-such-branch" in reason


async def test_an_invalid_config_fails_naming_file_line_and_field(platform: SqliteEventStore, seeded: Seeded,
                                                                  git_http: SmartHttpServer) -> None:
    name, _ = repository(seeded, {".gitpod.yml": "tasks:\n  - command: [1]\n"})
    stream = await start_workspace(platform, git_http.url(name), "bad-config-eeeeee")
    await eventually(lambda: settled(platform, stream), within=60)
    (last_phase, reason) = (await phases(platform, stream))[-1]
    assert last_phase == "failed" and reason == ".gitpod.yml:2: tasks[0].command must be a string, got a list"


async def test_an_image_that_exists_nowhere_fails_fast(platform: SqliteEventStore, seeded: Seeded,
                                                       git_http: SmartHttpServer) -> None:
    name, _ = repository(seeded, {".gitpod.yml": "image: nosuchorg/nosuchimage:1\n"})
    stream = await start_workspace(platform, git_http.url(name), "no-image-ffffff")
    loop = asyncio.get_running_loop()
    begun = loop.time()
    await eventually(lambda: settled(platform, stream), within=60)
    assert loop.time() - begun < 30
    (last_phase, reason) = (await phases(platform, stream))[-1]
    assert last_phase == "failed" and reason is not None and "nosuchorg/nosuchimage" in reason
