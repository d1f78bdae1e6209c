"""Who used the CPU during the distributed run: this process, the workers, PostgreSQL, Kafka, the rest.

Read from /proc (Linux); elsewhere every figure is empty. CPU of processes that exited during the
interval is not seen (the parts measured here all live through it).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

Usage = dict[str, float]

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_seconds(pid_dir: Path) -> tuple[str, float] | None:
    try:
        stat = (pid_dir / "stat").read_text()
        cmdline = (pid_dir / "cmdline").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    name = stat[stat.find("(") + 1:stat.rfind(")")]
    fields = stat[stat.rfind(")") + 2:].split()
    seconds = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
    return (f"{name} {cmdline[:2000].decode(errors='replace')}", seconds)


def snapshot(workers: Collection[int]) -> Usage:
    """CPU seconds used so far, by part: bench (this process), workers, postgresql, kafka, other."""
    usage: Usage = {}
    me = os.getpid()
    for pid_dir in Path("/proc").glob("[0-9]*"):
        found = _process_seconds(pid_dir)
        if found is None:
            continue
        description, seconds = found
        pid = int(pid_dir.name)
        if pid == me:
            part = "bench (appender and relay)"
        elif pid in workers:
            part = "worker processes"
        elif description.startswith("postgres "):
            part = "postgresql"
        elif "kafka" in description.lower():
            part = "kafka broker"
        else:
            part = "everything else on the machine"
        usage[part] = usage.get(part, 0.0) + seconds
    return usage


def used_since(before: Usage, after: Usage) -> Usage:
    return {part: round(after[part] - before.get(part, 0.0), 2) for part in sorted(after)
            if after[part] - before.get(part, 0.0) > 0}


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores so far, from /proc/stat; None where there is none."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_since(before: tuple[int, int] | None) -> float | None:
    after = machine_ticks()
    if before is None or after is None or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])
