"""`berth`: the command-line entry point. Every command takes --json for scripts."""

from __future__ import annotations

import typer

from gateway.cli.config import config
from gateway.cli.deadletters import deadletters
from gateway.cli.distributed import relay, worker
from gateway.cli.env import env
from gateway.cli.node_agent import node_agent
from gateway.cli.replay import replay
from gateway.cli.up import up
from gateway.cli.workspace import workspace

app = typer.Typer(help="Berth: cloud development environments on an event-sourced control plane.",
                  no_args_is_help=True, add_completion=False)
app.command()(up)
app.command()(replay)
app.command()(relay)
app.command()(worker)
app.command(name="node-agent")(node_agent)
app.add_typer(deadletters, name="deadletters")
app.add_typer(config, name="config")
app.add_typer(workspace, name="workspace")
app.add_typer(env, name="env")


def main() -> None:
    app()
