"""`berth deadletters list|replay`: events a worker could not handle."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gateway.cli.context import JsonFlag, settings_or_fail, with_stores
from gateway.cli.output import console, emit_json, table
from gateway.dependencies import close_worker_dependencies, handler_named, handlers_by_name, open_worker_dependencies
from handlers.runtime.handler import Handler
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from infra.stores import Stores
from schemas.codec import EventCodec

deadletters = typer.Typer(help="Events a worker could not handle, kept with their error.", no_args_is_help=True)


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
    async def work(stores: Stores) -> list[dict[str, Any]]:
        deps = await open_worker_dependencies(settings_or_fail(as_json), stores.views)
        try:
            return await replay_parked(stores, handler_named(handlers_by_name(deps), consumer))
        finally:
            await close_worker_dependencies(deps)

    async def replay_parked(stores: Stores, handler: Handler) -> list[dict[str, Any]]:
        worker = Worker(handler, StoreEventSource(stores.events, handler.name), stores.events, EventCodec())
        outcomes: list[dict[str, Any]] = []
        for letter in await stores.events.dead_letters(consumer):
            if position is not None and letter.position != position:
                continue
            (stored,) = await stores.events.read_all(letter.position - 1, 1)
            try:
                await worker.replay(stored, letter.attempts)
                outcomes.append({"position": letter.position, "settled": True})
            except Exception as error:  # it stays parked with the new error, which is reported
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
