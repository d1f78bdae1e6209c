"""`berth config check <repo-or-path>`: the normalized workspace config of a repository, or its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.syntax import Syntax

from domain.config import CONFIG_FILES, WorkspaceConfig, load_workspace_config
from domain.errors import InvalidConfig
from gateway.cli.context import JsonFlag
from gateway.cli.output import console, emit_json, errors, fail

config = typer.Typer(help="Workspace configuration (.gitpod.yml, devcontainer.json).", no_args_is_help=True)


def read_config_files(root: Path) -> dict[str, str]:
    """The config files present in a working tree, by repository path."""
    found = {}
    for name in CONFIG_FILES:
        path = root / name
        if path.is_file():
            try:
                found[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise InvalidConfig("is not UTF-8 text", file=name) from None
    return found


def report(config_model: WorkspaceConfig, as_json: bool) -> None:
    document: dict[str, Any] = config_model.model_dump(mode="json")
    if as_json:
        emit_json({"valid": True, "config": document})
        return
    used = ", ".join(config_model.sources) or "no config file: defaults"
    console.print(f"[green]valid[/green] ({used})")
    for ignored in config_model.ignored_sources:
        console.print(f"[yellow]ignored[/yellow] {ignored} (another config file takes precedence)")
    for warning in config_model.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}")
    console.print(Syntax(config_model.model_dump_json(indent=2, exclude={"warnings"}), "json"))


@config.command("check")
def check(target: Annotated[str, typer.Argument(help="A repository working tree (path) to check.")],
          as_json: JsonFlag = False) -> None:
    """Print the normalized config a workspace of this repository would get, or what is wrong."""
    root = Path(target)
    if not root.is_dir():
        fail(f"{target!r} is not a directory", as_json)
    try:
        result = load_workspace_config(read_config_files(root))
    except InvalidConfig as error:
        if as_json:
            emit_json({"valid": False, "error": {"file": error.file, "line": error.line, "field": error.field,
                                                 "message": str(error)}})
        else:
            errors.print(f"[red]invalid[/red] {error}")
        raise SystemExit(1) from None
    report(result, as_json)
