"""`berth env ...`: my environment variables, set in my workspaces of the repositories a pattern names."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gateway.cli.context import JsonFlag
from gateway.cli.output import console, emit_json, fail, table
from gateway.cli.workspace import api_or_fail

env = typer.Typer(help="My environment variables for my workspaces (values are never shown).", no_args_is_help=True)

Repo = Annotated[str, typer.Option("--repo", help="owner/repo, owner/* or */* (every repository).")]


@env.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Names and repository patterns of my variables (never values)."""
    with api_or_fail(as_json) as api:
        variables = api.call("GET", "/api/env-vars")["env_vars"]
    if as_json:
        emit_json(variables)
        return
    table("Environment variables", ["name", "repository", "updated"],
          [(v["name"], v["repository_pattern"], v["updated_at"]) for v in variables])


def _split(assignment: str, as_json: bool) -> tuple[str, str]:
    """`NAME=value`, or `NAME` alone: the value then comes from stdin (a pipe) or a hidden prompt, so it stays
    out of the shell's history."""
    name, equals, value = assignment.partition("=")
    if equals:
        return name, value
    if not sys.stdin.isatty():
        return name, sys.stdin.read().removesuffix("\n")
    if as_json:
        fail(f"no value for {name}: give NAME=value or pipe the value on stdin", as_json)
    return name, typer.prompt(f"value of {name}", hide_input=True)


@env.command("set")
def set_(assignment: Annotated[str, typer.Argument(help="NAME=value, or NAME to read the value from stdin or a "
                                                        "hidden prompt.")],
         repo: Repo = "*/*", as_json: JsonFlag = False) -> None:
    """Set a variable for my workspaces of the repositories --repo names; it applies from their next start.
    When several of one name match, the most specific wins: owner/repo, then owner/*, then */*."""
    name, value = _split(assignment, as_json)
    with api_or_fail(as_json) as api:
        done = api.call("PUT", "/api/env-vars", json={"name": name, "repository_pattern": repo, "value": value})
    if as_json:
        emit_json(done)
    else:
        console.print(f"set {done['name']} for {done['repository_pattern']} (applies from the next workspace start)")


@env.command("unset")
def unset(name: Annotated[str, typer.Argument(help="The variable's name.")], repo: Repo = "*/*",
          as_json: JsonFlag = False) -> None:
    """Remove the variable of this name and repository pattern."""
    with api_or_fail(as_json) as api:
        api.call("DELETE", "/api/env-vars", params={"name": name, "repository_pattern": repo})
    if as_json:
        emit_json({"name": name, "repository_pattern": repo, "removed": True})
    else:
        console.print(f"removed {name} for {repo}")
