"""`berth config check <repo-or-path>`: the normalized workspace config of a repository, or its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.syntax import Syntax

from domain.config import CONFIG_FILES, WorkspaceConfig, load_workspace_config
from domain.context.parse import parse_context_url
from domain.errors import InvalidConfig
from gateway.cli.context import JsonFlag, run_async
from gateway.cli.output import console, emit_json, errors, fail
from infra.git import read_files_at, resolve_context

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


async def read_config_files_at(context_url: str) -> tuple[dict[str, str], str]:
    """The config files of the commit a context URL resolves to (what a workspace would read)."""
    resolved = await resolve_context(parse_context_url(context_url))
    return await read_files_at(resolved.clone_url, resolved.commit, CONFIG_FILES), resolved.commit


@config.command("check")
def check(target: Annotated[str, typer.Argument(help="A working tree (path) or a repository's context URL.")],
          as_json: JsonFlag = False) -> None:
    """Print the normalized config a workspace of this repository would get, or what is wrong."""
    root = Path(target)
    try:
        if root.is_dir():
            files = read_config_files(root)
        elif "://" in target or "@" in target:
            files, commit = run_async(as_json, read_config_files_at(target))
            if not as_json:
                console.print(f"read at commit {commit[:12]}")
        else:
            fail(f"{target!r} is neither a directory nor a repository URL", as_json)
            return
        result = load_workspace_config(files)
    except InvalidConfig as error:
        if as_json:
            emit_json({"valid": False, "error": {"file": error.file, "line": error.line, "field": error.field,
                                                 "message": str(error)}})
        else:
            errors.print(f"[red]invalid[/red] {error}")
        raise SystemExit(1) from None
    report(result, as_json)
