"""Benchmark: the event pipeline, embedded and distributed, each figure next to a floor of the same run.

1. Embedded appends: the real SqliteEventStore (fresh file) committing encoded workspace events in
   transactions of 20 events over 4 streams; floor = plain sqlite3 inserting the same rows (same
   schema, same PRAGMAs: the store's own `connect`) in transactions of the same size.
   Targets: >= 0.5x floor and >= 5,000 events/s.
2. Embedded append->handler latency: a Worker on a StoreEventSource in this process while one-event
   appends arrive at a steady rate; from the append call starting to the handler receiving the event
   (time.monotonic, by event id). Floor: the append call alone. Target: p99 < 50 ms.
3. Replay: ProjectionRunner.rebuild of the workspaces read model over the log of (1); floor = plain
   sqlite3 reading the same events in pages by position. Target: >= 0.5x floor.
4. Distributed: PostgresEventStore (fresh schema) -> KafkaRelay -> Kafka (fresh topics) -> 4 worker
   processes in one consumer group, each committing its tracking records to PostgreSQL. Events/s
   from the first append to the last event handled, and append->handled latency (time.time() across
   processes); floor = the aiokafka producer, configured as the relay's, sending the same records in
   the relay's batches. Target: >= 0.5x floor. Skipped (figures null) when PostgreSQL or Kafka does
   not answer within 3 s (or, with --wait-for-services N, N seconds). Measured first, while the
   services have just answered; the run also measures the PostgreSQL appends and the relay each on
   their own, and the CPU used by each part, to show which stage bounds the pipeline.

Everything made is removed at the end, on failure or Ctrl-C too. The last line printed is one JSON
object of figures.

    python bench/event_pipeline.py [--quick] [--save FILE] [--baseline FILE] [--profile]
                                   [--skip-distributed | --only-distributed] [--wait-for-services SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError
from pipeline_distributed import measure_distributed
from pipeline_embedded import measure_appends, measure_latency, measure_replay, write_log
from pipeline_processes import DistributedError
from pipeline_profile import profile_appends, profile_replay
from pipeline_report import Figures, load_baseline, percentile, print_report, ratio
from pipeline_services import unreachable
from pipeline_workload import LIFECYCLE_EVENTS, STREAM_CHUNK, TX_EVENTS, event_count, transactions, workspaces
from rich.console import Console

from domain.errors import Unavailable
from infra.settings import Settings
from schemas.codec import EventCodec

APPEND_RATIO_TARGET = 0.5
APPEND_RATE_TARGET = 5_000.0
LATENCY_P99_MS_TARGET = 50.0
REPLAY_RATIO_TARGET = 0.5
DISTRIBUTED_RATIO_TARGET = 0.5


@dataclass(frozen=True, slots=True)
class Sizes:
    workspaces: int
    """Workspaces of the append and replay log (LIFECYCLE_EVENTS events each)."""
    repeats: int
    """Runs of the appends and the replay (and their floors); the best of each counts."""
    latency_workspaces: int
    latency_rate: float
    distributed_workspaces: int


FULL = Sizes(workspaces=10_000, repeats=3, latency_workspaces=500, latency_rate=500.0, distributed_workspaces=2_000)
QUICK = Sizes(workspaces=2_000, repeats=2, latency_workspaces=150, latency_rate=500.0, distributed_workspaces=500)
WARM_WORKSPACES = 32
WORKERS = 4
DISTRIBUTED_KEYS = ("distributed_events", "distributed_events_per_s", "distributed_floor_events_per_s",
                    "distributed_ratio", "distributed_p50_ms", "distributed_p99_ms")


async def run(args: argparse.Namespace, console: Console) -> Figures:
    # SIGTERM (kill, timeout) cancels the run like Ctrl-C does, so the cleanup runs either way.
    main_task = asyncio.current_task()
    if main_task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    sizes = QUICK if args.quick else FULL
    if args.only == "replay":
        return await _replay_only(sizes, console, profile=args.profile)
    settings = Settings.from_env(dict(os.environ))
    skip = "skipped (--skip-distributed)" if args.skip_distributed else await unreachable(
        settings.pg_dsn, settings.kafka_bootstrap)
    if skip is not None and args.wait_for_services > 0 and not args.skip_distributed:
        console.print(f"waiting up to {args.wait_for_services:.0f}s for the services: {skip}")
        skip = await _await_services(settings, args.wait_for_services)
    if skip is not None:
        console.print(f"[yellow]distributed run skipped:[/yellow] {skip}")
    f: Figures = {"quick": bool(args.quick), "tx_events": TX_EVENTS, "tx_streams": TX_EVENTS // STREAM_CHUNK}
    f.update(dict.fromkeys(DISTRIBUTED_KEYS), distributed_workers=WORKERS, distributed_skipped=skip)
    with tempfile.TemporaryDirectory(prefix="berth-event-pipeline-") as scratch:
        # The distributed run first, while the services just answered (other work may restart them).
        if skip is None:
            await _distributed(f, sizes, settings, Path(scratch), console, profile=args.profile)
        if not args.only_distributed:
            await _embedded(f, sizes, Path(scratch), console, profile=args.profile)
    if args.only_distributed:
        f["targets_met"] = {"distributed_ratio": _at_least(f["distributed_ratio"], DISTRIBUTED_RATIO_TARGET)}
        return f
    # Figures in the order of the table: embedded first.
    f = {key: value for key, value in f.items() if not key.startswith("distributed_")} | {
        key: value for key, value in f.items() if key.startswith("distributed_")}
    f["targets_met"] = targets_met(f)
    return f


async def _await_services(settings: Settings, within: float) -> str | None:
    """Poll until PostgreSQL and Kafka both answer, for at most `within` seconds; the last reason if not."""
    deadline = time.monotonic() + within
    while (reason := await unreachable(settings.pg_dsn, settings.kafka_bootstrap)) is not None:
        if time.monotonic() > deadline:
            return reason
        await asyncio.sleep(2.0)
    return None


async def _embedded(f: Figures, sizes: Sizes, directory: Path, console: Console, *, profile: bool) -> None:
    codec = EventCodec()
    plan = transactions(workspaces(sizes.workspaces, codec))
    console.print(f"[bold]embedded appends[/bold]: {event_count(plan):,} events, best of {sizes.repeats}")
    appends = await measure_appends(directory, plan, sizes.repeats)
    f["embedded_events"] = appends.store.events
    f["embedded_events_per_s"] = round(appends.store.per_s, 1)
    f["embedded_floor_events_per_s"] = round(appends.floor.per_s, 1)
    f["embedded_ratio"] = ratio(appends.store.per_s, appends.floor.per_s)

    console.print(f"[bold]embedded latency[/bold]: {sizes.latency_workspaces * LIFECYCLE_EVENTS:,} "
                  f"appends at {sizes.latency_rate:,.0f}/s")
    latency = await measure_latency(directory / "latency.db", workspaces(sizes.latency_workspaces, codec, seed=23),
                                    sizes.latency_rate)
    f["embedded_latency_events"] = len(latency.latencies_ms)
    f["embedded_latency_rate_per_s"] = latency.offered_per_s
    f["embedded_latency_achieved_per_s"] = round(latency.achieved_per_s, 1)
    f["embedded_p50_ms"] = round(percentile(latency.latencies_ms, 50), 3)
    f["embedded_p99_ms"] = round(percentile(latency.latencies_ms, 99), 3)
    f["embedded_append_p50_ms"] = round(percentile(latency.append_ms, 50), 3)
    f["embedded_append_p99_ms"] = round(percentile(latency.append_ms, 99), 3)

    await _replay(f, sizes, appends.log, console)

    if profile:
        console.print(await profile_appends(directory / "profile.db", plan), markup=False, highlight=False)
        console.print(await profile_replay(appends.log), markup=False, highlight=False)


async def _replay(f: Figures, sizes: Sizes, log: Path, console: Console) -> None:
    console.print(f"[bold]replay[/bold] of the {event_count_of(log):,}-event log, best of {sizes.repeats}")
    replay = await measure_replay(log, sizes.repeats)
    f["replay_events"] = replay.runner.events
    f["replay_docs"] = replay.docs
    f["replay_events_per_s"] = round(replay.runner.per_s, 1)
    f["replay_floor_events_per_s"] = round(replay.floor.per_s, 1)
    f["replay_ratio"] = ratio(replay.runner.per_s, replay.floor.per_s)
    # A second, fairer floor beside the first (which stays the target's): the same paged reads plus the
    # Avro decoding of every payload, the least a replay must do in Python before folding anything.
    f["replay_floor_decoded_events_per_s"] = round(replay.floor_decoded.per_s, 1)
    f["replay_ratio_decoded"] = ratio(replay.runner.per_s, replay.floor_decoded.per_s)


def event_count_of(log: Path) -> int:
    import sqlite3

    db = sqlite3.connect(log)
    try:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    finally:
        db.close()


async def _replay_only(sizes: Sizes, console: Console, *, profile: bool) -> Figures:
    """The replay alone, on a log written with plain sqlite3 (the rows the store would write)."""
    f: Figures = {"quick": sizes is QUICK, "only": "replay"}
    with tempfile.TemporaryDirectory(prefix="berth-event-pipeline-") as scratch:
        log = write_log(Path(scratch) / "replay.db", transactions(workspaces(sizes.workspaces, EventCodec())))
        await _replay(f, sizes, log, console)
        if profile:
            console.print(await profile_replay(log), markup=False, highlight=False)
    f["targets_met"] = {"replay_ratio": f["replay_ratio"] is not None and f["replay_ratio"] >= REPLAY_RATIO_TARGET}
    return f


async def _distributed(f: Figures, sizes: Sizes, settings: Settings, directory: Path, console: Console, *,
                       profile: bool) -> None:
    codec = EventCodec()
    console.print(f"[bold]distributed[/bold]: {sizes.distributed_workspaces * LIFECYCLE_EVENTS:,} events "
                  f"through {WORKERS} worker processes")
    try:
        d = await measure_distributed(
            settings.pg_dsn, settings.kafka_bootstrap, workspaces(sizes.distributed_workspaces, codec, seed=31),
            workspaces(WARM_WORKSPACES, codec, seed=37, prefix="warm"), directory, workers=WORKERS)
    except (DistributedError, KafkaError, asyncpg.PostgresError, OSError, Unavailable) as error:
        # A service went away mid-run (other work on this machine restarts them): no figures.
        f["distributed_skipped"] = f"failed: {error}"
        console.print(f"[red]distributed run failed:[/red] {error}")
        return
    f.update({
        "distributed_events": d.events,
        "distributed_events_per_s": round(d.per_s, 1),
        "distributed_floor_events_per_s": round(d.floor.per_s, 1),
        "distributed_ratio": ratio(d.per_s, d.floor.per_s),
        "distributed_p50_ms": round(percentile(d.latencies_ms, 50), 1),
        "distributed_p99_ms": round(percentile(d.latencies_ms, 99), 1),
        # Where the time and the CPU went: which stage bounds the pipeline.
        "distributed_appended_s": round(d.appended_s, 3),
        "distributed_relayed_s": round(d.relayed_s, 3),
        "distributed_received_s": round(d.received_s, 3),
        "distributed_handled_s": round(d.seconds, 3),
        "distributed_per_worker": d.per_worker,
        "distributed_machine_busy": _round(d.machine_busy, 3),
        "distributed_cpu_s_by_part": d.cpu_by_part,
        "distributed_worker_cpu_ms_per_event": _round(d.worker_cpu_ms_per_event, 3),
        "distributed_appends_alone_events_per_s": round(d.appends_alone.per_s, 1),
        "distributed_relay_alone_events_per_s": round(d.relay_alone.per_s, 1),
        "distributed_disturbances": d.disturbances,
    })
    console.print(
        f"    appends done at {d.appended_s:.2f}s, relay published all at {d.relayed_s:.2f}s, last received at "
        f"{d.received_s:.2f}s, last handled at {d.seconds:.2f}s; events per worker {d.per_worker}\n"
        f"    CPU: machine {_share(d.machine_busy)} busy; seconds used during the timed run: {d.cpu_by_part}; "
        f"workers {f['distributed_worker_cpu_ms_per_event']} ms per event\n"
        f"    stages alone: PostgreSQL appends {d.appends_alone.per_s:,.0f} ev/s, relay catch-up "
        f"{d.relay_alone.per_s:,.0f} ev/s")
    if d.disturbances:
        console.print(f"[red]    {d.disturbances} outages (a service restarted by other work on this machine?) were "
                      "waited out during the run: its figures are not representative[/red]")
    if profile:
        console.print("    profiling a second, smaller distributed run (every process under cProfile)")
        profiled = await measure_distributed(
            settings.pg_dsn, settings.kafka_bootstrap,
            workspaces(max(100, sizes.distributed_workspaces // 2), codec, seed=41),
            workspaces(WARM_WORKSPACES, codec, seed=43, prefix="warm"), directory, workers=WORKERS, profile=True)
        console.print(profiled.profile, markup=False, highlight=False)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _share(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


def _at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def targets_met(f: Figures) -> dict[str, bool | None]:
    at_least = _at_least
    return {
        "embedded_ratio": at_least(f["embedded_ratio"], APPEND_RATIO_TARGET),
        "embedded_events_per_s": at_least(f["embedded_events_per_s"], APPEND_RATE_TARGET),
        "embedded_p99_ms": f["embedded_p99_ms"] < LATENCY_P99_MS_TARGET,
        "replay_ratio": at_least(f["replay_ratio"], REPLAY_RATIO_TARGET),
        "distributed_ratio": at_least(f["distributed_ratio"], DISTRIBUTED_RATIO_TARGET),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Berth event pipeline benchmark (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one run each: under a minute")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also write the JSON figures to FILE")
    parser.add_argument("--baseline", type=Path, metavar="FILE",
                        help="figures of an earlier run (--save output or its console output) to compare with")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the embedded appends and the replay (cProfile, all threads)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--skip-distributed", action="store_true", help="measure the embedded mode only")
    modes.add_argument("--only-distributed", action="store_true",
                       help="measure the distributed pipeline only (no table: its figures are printed as JSON)")
    parser.add_argument("--only", choices=["replay"],
                        help="measure only this part (replay: the projection rebuild and its floors)")
    parser.add_argument("--wait-for-services", type=float, default=0.0, metavar="SECONDS",
                        help="when PostgreSQL or Kafka does not answer, wait up to this long for them (default: 0)")
    args = parser.parse_args()
    baseline: dict[str, Any] | None = None
    if args.baseline is not None:
        try:
            baseline = load_baseline(args.baseline)
        except (OSError, ValueError) as error:
            parser.error(f"--baseline: {error}")
    console = Console(width=None if sys.stdout.isatty() else 140)
    started = time.monotonic()
    try:
        figures = asyncio.run(run(args, console))
    except (KeyboardInterrupt, asyncio.CancelledError) as stopped:
        console.print("[yellow]interrupted; everything the run made has been removed[/yellow]")
        return 130 if isinstance(stopped, KeyboardInterrupt) else 143
    figures["bench_seconds"] = round(time.monotonic() - started, 1)
    if not args.only_distributed:
        print_report(console, figures, baseline, str(args.baseline))
    line = json.dumps(figures)
    if args.save is not None:
        args.save.write_text(line + "\n")
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
