"""The worker processes of the distributed benchmark: start, watch, stop (always), collect their reports."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKER_SCRIPT = Path(__file__).with_name("pipeline_worker.py")


class DistributedError(RuntimeError):
    """The distributed run could not be measured (a worker died, a wait timed out)."""


@dataclass
class WorkerProcess:
    """A running bench/pipeline_worker.py: its stdin stops it, `first` is set when it handled an event."""

    process: asyncio.subprocess.Process
    out: Path
    log: Path
    first: asyncio.Event
    reader: asyncio.Task[None] | None = None


async def start_worker(index: int, directory: Path, dsn: str, bootstrap: str, schema: str, prefix: str,
                        group: str, partitions: int, stats: Path | None) -> WorkerProcess:
    out, log = directory / f"worker-{index}.json", directory / f"worker-{index}.log"
    extra = [] if stats is None else ["--profile", str(stats)]
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER_SCRIPT), "--bootstrap", bootstrap, "--dsn", dsn, "--schema", schema,
            "--prefix", prefix, "--group", group, "--partitions", str(partitions), "--out", str(out), *extra,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )
    started = WorkerProcess(process, out, log, asyncio.Event())
    started.reader = asyncio.create_task(_read_stdout(started))
    return started


async def _read_stdout(worker: WorkerProcess) -> None:
    assert worker.process.stdout is not None
    while line := await worker.process.stdout.readline():
        if line.strip() == b"first":
            worker.first.set()


def check_alive(processes: Sequence[WorkerProcess], relay: asyncio.Task[None] | None = None) -> None:
    if relay is not None and relay.done():
        failure = None if relay.cancelled() else relay.exception()
        raise DistributedError(f"the relay stopped: {failure!r}")
    for index, worker in enumerate(processes):
        if worker.process.returncode is not None:
            tail = worker.log.read_text(errors="replace")[-2000:] if worker.log.exists() else ""
            raise DistributedError(f"worker {index} exited with {worker.process.returncode}:\n{tail}")


async def stop_all(processes: list[WorkerProcess], grace: float = 15.0) -> list[dict[str, Any]]:
    """Close every worker's stdin (its signal to stop and report), wait, then terminate/kill stragglers.
    Returns the reports that were written. Safe to call twice. Interrupted (Ctrl-C), it kills what
    still runs at once and then lets the interruption go on."""
    for worker in processes:
        stdin = worker.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
    try:
        for worker in processes:
            await _wait_or_end(worker.process, grace)
    except asyncio.CancelledError:
        for worker in processes:
            if worker.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.process.wait()
        raise
    finally:
        for worker in processes:
            if worker.reader is not None:
                worker.reader.cancel()
                await asyncio.gather(worker.reader, return_exceptions=True)
    reports = []
    for worker in processes:
        if worker.out.exists():
            reports.append(json.loads(worker.out.read_text()))
            worker.out.unlink()
    processes.clear()
    return reports


async def _wait_or_end(process: asyncio.subprocess.Process, grace: float) -> None:
    """Wait `grace` seconds for the process to exit, then terminate it, then kill it."""
    for ending in (None, process.terminate, process.kill):
        if ending is not None:
            with contextlib.suppress(ProcessLookupError):
                ending()
        try:
            async with asyncio.timeout(grace if ending is None else 5.0):
                await process.wait()
            return
        except TimeoutError:
            continue
    await process.wait()


_OUTAGE_LINE = re.compile(r"unavailable|unable connect|unable to bootstrap|connection (refused|reset|lost)", re.I)


def outages_logged(directory: Path) -> int:
    """Lines of the workers' stderr that tell of an outage they waited out (the runtime logs and retries)."""
    return sum(1 for log in directory.glob("worker-*.log")
               for line in log.read_text(errors="replace").splitlines() if _OUTAGE_LINE.search(line))
