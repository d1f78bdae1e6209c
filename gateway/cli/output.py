"""One way to print results: a rich table for people, one JSON document for scripts (`--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped output (scripts, logs, CI) is not squeezed into 80 columns: lines are as long as what they hold.
console = Console(width=None if sys.stdout.isatty() else 10_000)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 10_000)

JSON_HELP = "Print one JSON document instead of tables, for scripts."


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str, indent=2) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    view = Table(title=title)
    for column in columns:
        # Folded, never cut with an ellipsis: ids and URLs are what people copy out of these tables.
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*(str(cell) for cell in row))
    console.print(view)


def fail(message: str, as_json: bool, code: int = 1) -> None:
    if as_json:
        emit_json({"error": message})
    else:
        errors.print(f"[red]error:[/red] {message}")
    raise SystemExit(code)
