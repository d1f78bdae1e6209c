"""What every CLI command needs: settings from the environment and the stores they name."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from domain.errors import BerthError
from gateway.cli.output import JSON_HELP, fail
from infra.settings import Settings
from infra.stores import Stores, open_stores

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def settings_or_fail(as_json: bool) -> Settings:
    try:
        return Settings.from_env(dict(os.environ))
    except BerthError as error:
        fail(str(error), as_json)
        raise  # unreachable: fail exits


def run_async(as_json: bool, work: Awaitable[T]) -> T:
    """Run a coroutine; a typed Berth error becomes a clear message and exit code 1."""
    try:
        return asyncio.run(_as_coroutine(work))
    except BerthError as error:
        fail(str(error), as_json)
        raise


async def _as_coroutine(work: Awaitable[T]) -> T:
    return await work


def with_stores(as_json: bool, work: Callable[[Stores], Awaitable[T]]) -> T:
    async def run() -> T:
        stores = await open_stores(settings_or_fail(as_json))
        try:
            return await work(stores)
        finally:
            await stores.close()

    return run_async(as_json, run())
