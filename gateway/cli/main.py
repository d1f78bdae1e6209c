"""`berth`: start the platform, rebuild read models, manage dead letters. Every command takes --json."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from domain.errors import BerthError
from gateway.app import create_app
from gateway.auth.tokens import TokenFile
from gateway.cli.output import JSON_HELP, console, emit_json, fail, table
from gateway.platform import Platform
from handlers.catalog import all_handlers
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from infra.settings import Settings
from infra.stores import Stores, open_stores
from projections.catalog import projection_named
from projections.runner import ProjectionRunner
from schemas.codec import EventCodec

T = TypeVar("T")
app = typer.Typer(help="Berth: cloud development environments on an event-sourced control plane.",
                  no_args_is_help=True, add_completion=False)
deadletters = typer.Typer(help="Events a worker could not handle, kept with their error.", no_args_is_help=True)
app.add_typer(deadletters, name="deadletters")

JsonFlag = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def settings_or_fail(as_json: bool) -> Settings:
    try:
        return Settings.from_env(dict(os.environ))
    except BerthError as error:
        fail(str(error), as_json)
        raise  # unreachable: fail exits


def with_stores(as_json: bool, work: Callable[[Stores], Awaitable[T]]) -> T:
    async def run() -> T:
        stores = await open_stores(settings_or_fail(as_json))
        try:
            return await work(stores)
        finally:
            await stores.close()

    try:
        return asyncio.run(run())
    except BerthError as error:
        fail(str(error), as_json)
        raise


@app.command()
def up(as_json: JsonFlag = False) -> None:
    """Start Berth (embedded mode by default) and print the dashboard URL and a login token."""
    settings = settings_or_fail(as_json)
    token = TokenFile(settings.home / "tokens.json").mint()
    if as_json:
        emit_json({"dashboard_url": settings.dashboard_url, "token": token, "mode": settings.mode.value,
                   "home": str(settings.home)})
    else:
        console.print(f"[bold]Berth[/bold] is starting in {settings.mode.value} mode (state in {settings.home})")
        console.print(f"Dashboard: [link]{settings.dashboard_url}[/link]")
        console.print(f"Login token (shown once): [bold]{token}[/bold]")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def serve() -> None:
        platform = await Platform.open(settings)
        server = uvicorn.Server(uvicorn.Config(create_app(platform, TokenFile(settings.home / "tokens.json")),
                                               host=settings.host, port=settings.port, log_level="info"))
        await server.serve()  # handles SIGTERM/SIGINT; the app's lifespan stops the platform gracefully

    asyncio.run(serve())


@app.command()
def replay(projection: Annotated[str, typer.Argument(help="The read model to rebuild, e.g. workspaces.")],
           as_json: JsonFlag = False) -> None:
    """Rebuild a read model from the whole event log."""
    chosen = projection_named_or_fail(projection, as_json)

    async def work(stores: Stores) -> dict[str, Any]:
        runner = ProjectionRunner(chosen, stores.events, stores.views, EventCodec())
        head = await stores.events.head_position()
        with Progress(TextColumn(f"rebuilding {chosen.name}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, disable=as_json) as progress:
            bar = progress.add_task("replay", total=head)
            reached = await runner.rebuild(progress=lambda position: progress.update(bar, completed=position))
        documents = await stores.views.dump(chosen.name)
        return {"projection": chosen.name, "position": reached, "documents": len(documents)}

    result = with_stores(as_json, work)
    if as_json:
        emit_json(result)
    else:
        console.print(f"Rebuilt [bold]{result['projection']}[/bold] up to position {result['position']}: "
                      f"{result['documents']} documents")


def projection_named_or_fail(name: str, as_json: bool) -> Any:
    try:
        return projection_named(name)
    except BerthError as error:
        fail(str(error), as_json)


@deadletters.command("list")
def list_dead_letters(consumer: Annotated[str | None, typer.Option(help="Only this worker's.")] = None,
                      as_json: JsonFlag = False) -> None:
    """List parked events with their errors."""
    letters = with_stores(as_json, lambda stores: stores.events.dead_letters(consumer))
    rows = [
        {"consumer": d.consumer, "position": d.position, "stream_id": d.stream_id, "event_type": d.event_type,
         "attempts": d.attempts, "parked_at": d.parked_at.isoformat(), "error": d.error}
        for d in letters
    ]
    if as_json:
        emit_json({"dead_letters": rows})
    elif not rows:
        console.print("No dead letters.")
    else:
        table("Dead letters", ["consumer", "position", "stream", "type", "attempts", "error"],
              [[r["consumer"], r["position"], r["stream_id"], r["event_type"], r["attempts"], r["error"]]
               for r in rows])


@deadletters.command("replay")
def replay_dead_letters(
    consumer: Annotated[str, typer.Argument(help="The worker whose parked events to handle again.")],
    position: Annotated[int | None, typer.Option(help="Only the event at this position.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Hand parked events back to their worker; each settles on success or stays parked with the new error."""
    handlers = {h.name: h for h in all_handlers()}
    if consumer not in handlers:
        fail(f"no worker named {consumer!r}; known: {', '.join(sorted(handlers)) or 'none yet'}", as_json)

    async def work(stores: Stores) -> list[dict[str, Any]]:
        codec = EventCodec()
        handler = handlers[consumer]
        worker = Worker(handler, StoreEventSource(stores.events, handler.name), stores.events, codec)
        outcomes: list[dict[str, Any]] = []
        for letter in await stores.events.dead_letters(consumer):
            if position is not None and letter.position != position:
                continue
            (stored,) = await stores.events.read_all(letter.position - 1, 1)
            try:
                await worker.replay(stored, letter.attempts)
                outcomes.append({"position": letter.position, "settled": True})
            except Exception as error:  # stays parked with the new error, which we report
                outcomes.append({"position": letter.position, "settled": False, "error": repr(error)})
        return outcomes

    outcomes = with_stores(as_json, work)
    if as_json:
        emit_json({"replayed": outcomes})
    else:
        for outcome in outcomes:
            status = "settled" if outcome["settled"] else f"still parked: {outcome['error']}"
            console.print(f"position {outcome['position']}: {status}")
        if not outcomes:
            console.print("Nothing to replay.")
    if any(not o["settled"] for o in outcomes):
        raise SystemExit(1)


def main() -> None:
    app()
