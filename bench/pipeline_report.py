"""Presenting bench/event_pipeline.py's figures: percentiles, the results table, the baseline comparison."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

Figures = dict[str, Any]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or not floor:
        return None
    return round(value / floor, 3)


@dataclass(frozen=True, slots=True)
class Row:
    measure: str
    result: str
    floor: str
    ratio: str
    target: str
    met: bool | None


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ev/s"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _mark(met: bool | None) -> str:
    return "[dim]n/a[/dim]" if met is None else "[green]yes[/green]" if met else "[red]NO[/red]"


def rows(f: Figures) -> list[Row]:
    """The table's rows; a run of one part (`--only`) has the figures of that part only."""
    made: list[Row] = []
    if "embedded_events" in f:
        made += _embedded_rows(f)
    if "replay_events" in f:
        made += _replay_rows(f)
    if "distributed_events" in f:
        made += _distributed_rows(f)
    return made


def _embedded_rows(f: Figures) -> list[Row]:
    met = f["targets_met"]
    return [
        Row(f"Embedded appends, SQLite store ({f['embedded_events']:,} events, tx of {f['tx_events']} "
            f"events over {f['tx_streams']} streams)",
            rate(f["embedded_events_per_s"]), f"raw sqlite3 inserts {rate(f['embedded_floor_events_per_s'])}",
            times(f["embedded_ratio"]), "≥ 0.5x floor and ≥ 5,000 ev/s",
            met["embedded_ratio"] and met["embedded_events_per_s"]),
        Row(f"Embedded append→handler latency ({f['embedded_latency_events']:,} one-event appends at "
            f"{f['embedded_latency_rate_per_s']:,.0f}/s offered, {f['embedded_latency_achieved_per_s']:,.0f}/s "
            "achieved)",
            f"p50 {ms(f['embedded_p50_ms'])}, p99 {ms(f['embedded_p99_ms'])}",
            f"the append call alone: p50 {ms(f['embedded_append_p50_ms'])}, p99 {ms(f['embedded_append_p99_ms'])}",
            "", "p99 < 50 ms", met["embedded_p99_ms"]),
    ]


def _replay_rows(f: Figures) -> list[Row]:
    made = [
        Row(f"Replay: ProjectionRunner.rebuild of workspaces ({f['replay_events']:,} events, "
            f"{f['replay_docs']:,} documents)",
            rate(f["replay_events_per_s"]), f"raw sqlite3 paged reads {rate(f['replay_floor_events_per_s'])}",
            times(f["replay_ratio"]), "≥ 0.5x floor", f["targets_met"]["replay_ratio"]),
    ]
    if f.get("replay_floor_decoded_events_per_s") is not None:
        made.append(Row("Replay against a second floor (information, not the target's)", rate(f["replay_events_per_s"]),
                        f"raw paged reads + Avro decode {rate(f['replay_floor_decoded_events_per_s'])}",
                        times(f.get("replay_ratio_decoded")), "", None))
    return made


def _distributed_rows(f: Figures) -> list[Row]:
    met = f["targets_met"]
    disturbed = f.get("distributed_disturbances") or 0
    note = f"; DISTURBED: {disturbed} service outages waited out" if disturbed else ""
    return [
        Row(f"Distributed end to end: PostgreSQL → relay → Kafka → {f['distributed_workers']} worker processes "
            f"({f['distributed_events'] or 0:,} events{note})",
            rate(f["distributed_events_per_s"]),
            f"aiokafka producer alone {rate(f['distributed_floor_events_per_s'])}",
            times(f["distributed_ratio"]), "≥ 0.5x floor", met["distributed_ratio"]),
        Row("Distributed append→handled latency (events appended as fast as possible)",
            f"p50 {ms(f['distributed_p50_ms'])}, p99 {ms(f['distributed_p99_ms'])}", "", "", "", None),
    ]


def results_table(f: Figures) -> Table:
    table = Table(title="Berth event pipeline" + (" (--quick)" if f["quick"] else ""), show_lines=True)
    for column in ("measure", "result", "floor (same run)", "ratio", "target", "met"):
        table.add_column(column, overflow="fold")
    for row in rows(f):
        table.add_row(row.measure, row.result, row.floor, row.ratio, row.target, _mark(row.met))
    return table


def load_baseline(path: Path) -> Figures:
    """A file written by --save, or a saved console output: its last line that is a JSON object."""
    text = path.read_text()
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip().startswith("{")]
        if not lines:
            raise ValueError(f"{path} holds no JSON object of figures") from None
        loaded = json.loads(lines[-1])
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} holds no JSON object of figures")
    return loaded


def _lower_is_better(key: str) -> bool:
    return key.endswith("_ms")


def baseline_table(current: Figures, baseline: Mapping[str, Any], source: str) -> Table:
    table = Table(title=f"Against the baseline {source}")
    for column in ("figure", "baseline", "now", "change"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for key, now in current.items():
        before = baseline.get(key)
        if isinstance(now, bool) or not isinstance(now, int | float | type(None)) or key not in baseline:
            continue
        if isinstance(before, bool) or not isinstance(before, int | float | type(None)):
            continue
        table.add_row(key, _number(before), _number(now), _change(key, before, now))
    previous = baseline.get("targets_met", {})
    for key, now in current["targets_met"].items():
        table.add_row(f"target: {key}", _mark(previous.get(key)), _mark(now), "")
    return table


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def _change(key: str, before: float | None, now: float | None) -> str:
    if before is None or now is None or before == 0:
        return ""
    change = (now - before) / abs(before)
    better = change < 0 if _lower_is_better(key) else change > 0
    colour = "green" if better else "red"
    return f"[{colour}]{change:+.0%}[/{colour}]" if abs(change) >= 0.005 else "±0%"


def print_report(console: Console, figures: Figures, baseline: Mapping[str, Any] | None, source: str) -> None:
    console.print(results_table(figures))
    if baseline is not None:
        console.print(baseline_table(figures, baseline, source))
