"""`berth replay <projection>`: rebuild a read model from the whole log, with progress."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from domain.errors import BerthError
from gateway.cli.context import JsonFlag, with_stores
from gateway.cli.output import console, emit_json, fail
from infra.stores import Stores
from projections.catalog import projection_named
from projections.projection import Projection
from projections.runner import ProjectionRunner
from schemas.codec import EventCodec


def replay(projection: Annotated[str, typer.Argument(help="The read model to rebuild, e.g. workspaces.")],
           as_json: JsonFlag = False) -> None:
    """Rebuild a read model from the whole event log."""
    try:
        chosen: Projection = projection_named(projection)
    except BerthError as error:
        fail(str(error), as_json)
        raise

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
