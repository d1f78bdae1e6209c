"""One way to print results: a rich table for people, one JSON document for scripts (`--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)

JSON_HELP = "Print one JSON document instead of tables, for scripts."


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str, indent=2) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    view = Table(title=title)
    for column in columns:
        view.add_column(column)
    for row in rows:
        view.add_row(*(str(cell) for cell in row))
    console.print(view)


def fail(message: str, as_json: bool, code: int = 1) -> None:
    if as_json:
        emit_json({"error": message})
    else:
        errors.print(f"[red]error:[/red] {message}")
    raise SystemExit(code)
