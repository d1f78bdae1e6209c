"""`berth workspace ...`: create, watch and manage workspaces through the gateway's API."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from domain.errors import BerthError
from gateway.cli.client import Api
from gateway.cli.context import JsonFlag, settings_or_fail
from gateway.cli.output import console, emit_json, fail, table

workspace = typer.Typer(help="Create, watch and manage workspaces.", no_args_is_help=True)

WorkspaceId = Annotated[str, typer.Argument(help="The workspace id, e.g. amber-otter-k3x9qa.")]
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the workspace until it settles.")]
SETTLED_RUNNING = {"running", "failed", "stopped"}
SETTLED_STOPPED = {"stopped", "failed"}


@contextmanager
def api_or_fail(as_json: bool) -> Iterator[Api]:
    try:
        api = Api.from_environment(settings_or_fail(as_json))
    except BerthError as error:
        fail(str(error), as_json)
        raise
    try:
        yield api
    except BerthError as error:
        fail(str(error), as_json)
    finally:
        api.close()


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


def describe(event: dict[str, Any]) -> str | None:
    """One progress line for a workspace event, or None for events not worth a line."""
    kind, payload = event["type"], event["payload"]
    if kind == "workspace.instance_phase_changed":
        reason = f": {payload['reason']}" if payload.get("reason") else ""
        return f"[bold]{payload['phase']}[/bold]{reason}"
    if kind == "workspace.context_resolved":
        return f"resolved {payload.get('ref') or 'commit'} at {payload['commit'][:12]}"
    if kind == "workspace.config_resolved":
        sources = ", ".join(payload["sources"]) or "no config file (defaults)"
        return "config from " + sources + "".join(f"\n  [yellow]warning[/yellow] {w}" for w in payload["warnings"])
    if kind == "workspace.image_ready":
        return f"image ready ({'cached' if payload['cache_hit'] else 'built'})"
    if kind == "workspace.content_initialized":
        return f"content from {payload['source']}: {_mb(payload['bytes'])} in {payload['seconds']:.1f} s"
    if kind == "workspace.backup_completed":
        return f"backup {_mb(payload['bytes'])} in {payload['seconds']:.1f} s"
    if kind == "workspace.backup_failed":
        return f"[red]backup failed[/red]: {payload['reason']} (the volume is kept)"
    if kind == "workspace.task_changed":
        code = f" (exit {payload['exit_code']})" if payload.get("exit_code") is not None else ""
        return f"task {payload.get('name') or payload['index']}: {payload['phase']}{code}"
    return None


def build_lines(logs: dict[str, Any]) -> list[str]:
    """The image build's output lines from a logs answer (none when the image came from the cache)."""
    build = logs.get("build") or {}
    return list(build.get("lines", []))


class BuildLogFollower:
    """Prints the image build log while a build runs (it lives on the image's stream, not the workspace's)."""

    def __init__(self, api: Api, workspace_id: str, show: Callable[[str], None]) -> None:
        self._api, self._workspace_id, self._show = api, workspace_id, show
        self._stop = threading.Event()
        self._seen = 0
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(1.0):
            self.flush()

    def flush(self) -> None:
        try:
            lines = build_lines(self._api.call("GET", f"/api/workspaces/{self._workspace_id}/logs"))
        except BerthError:
            return
        for line in lines[self._seen:]:
            self._show(f"[dim]  {line}[/dim]")
        self._seen = max(self._seen, len(lines))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()


@dataclass(frozen=True)
class Followed:
    phase: str
    version: int
    """Of the last event seen: what the workspace read afterwards must include (`min_version`)."""


def follow(api: Api, workspace_id: str, until: set[str], as_json: bool, after: int = 0) -> Followed:
    """Show the workspace's progress until its phase is one of `until`."""
    phase = ""
    version = after
    build: BuildLogFollower | None = None
    def show(line: str) -> None:
        if not as_json:
            console.print(line)

    with console.status("waiting for the platform", spinner="dots") as status:
        if as_json:
            status.stop()
        for event in api.events(workspace_id, after):
            version = int(event["version"])
            line = describe(event)
            if line is not None:
                show(f"[dim]{event['time'][11:19]}[/dim] {line}")
            if event["type"] == "workspace.image_requested" and build is None and not as_json:
                build = BuildLogFollower(api, workspace_id, console.print)
                build.start()
            build_over = event["type"] == "workspace.image_ready" or (
                event["type"] == "workspace.instance_phase_changed" and event["payload"]["phase"] == "failed")
            if build is not None and build_over:
                build.stop()
                build = None
            if event["type"] == "workspace.instance_phase_changed":
                phase = event["payload"]["phase"]
                status.update(f"{phase}…")
                if phase in until:
                    break
            if event["type"] == "workspace.deleted":
                phase = "deleted"
                break
    if build is not None:
        build.stop()
    return Followed(phase, version)


def print_ready(ws: dict[str, Any]) -> None:
    console.print(f"[green]ready[/green]: {ws['id']}")
    console.print(f"  IDE:  {ws['url']}", soft_wrap=True)
    for port in ws.get("ports", []):
        state = "listening" if port["listening"] else "not listening yet"
        # soft_wrap: a URL is never broken across lines, whatever the terminal's width.
        console.print(f"  port {port['port']} ({port['visibility']}, {state}): {port['url']}", soft_wrap=True)


@workspace.command("create")
def create(context_url: Annotated[str, typer.Argument(help="A git URL, optionally /tree/<branch>, /pull/<n>...")],
           workspace_class: Annotated[str, typer.Option("--class", help="The workspace class.")] = "default",
           wait: Wait = True, as_json: JsonFlag = False) -> None:
    """Create a workspace from a context URL and follow it until it runs."""
    with api_or_fail(as_json) as api:
        created = api.call("POST", "/api/workspaces",
                           json={"context_url": context_url, "workspace_class": workspace_class})
        if not as_json:
            console.print(f"created [bold]{created['id']}[/bold] from {context_url}")
        followed = follow(api, created["id"], SETTLED_RUNNING, as_json) if wait else None
        outcome = followed.phase if followed else created.get("phase") or ""
        final = api.call("GET", f"/api/workspaces/{created['id']}",
                         params={"min_version": followed.version} if followed else None)
        if as_json:
            emit_json(final)
        elif outcome == "running":
            print_ready(final)
        if wait and outcome != "running":
            if not as_json:
                console.print(f"[red]{outcome}[/red]: {final.get('reason') or ''}")
            raise SystemExit(1)


@workspace.command("list")
def list_workspaces(phase: Annotated[str | None, typer.Option(help="Only in this phase.")] = None,
                    as_json: JsonFlag = False) -> None:
    """Your workspaces (an admin sees everyone's)."""
    with api_or_fail(as_json) as api:
        found = api.call("GET", "/api/workspaces", params={"phase": phase} if phase else None)
        rows = found["workspaces"] if isinstance(found, dict) else found
        if as_json:
            emit_json({"workspaces": rows})
            return
        table("Workspaces", ["id", "pin", "phase", "owner", "context", "url"],
              [[w["id"], PIN_MARK if w.get("pinned") else "", w.get("phase") or "-", w["owner"], w["context_url"],
                w["url"]] for w in rows])


PIN_MARK = "📌"


def _pin_command(pinned: bool) -> Callable[..., None]:
    def run(workspace_id: WorkspaceId, as_json: JsonFlag = False) -> None:
        with api_or_fail(as_json) as api:
            ws = api.call("PUT", f"/api/workspaces/{workspace_id}/pinned", json={"pinned": pinned})
            if as_json:
                emit_json(ws)
            elif pinned:
                console.print(f"{PIN_MARK} pinned {workspace_id}: kept however long it stays stopped")
            else:
                console.print(f"unpinned {workspace_id}: deleted once stopped for the retention period")

    run.__doc__ = ("Pin a workspace: it is kept however long it stays stopped." if pinned else
                   "Unpin a workspace: once stopped for the retention period (14 days by default) it is deleted.")
    return run


workspace.command("pin")(_pin_command(True))
workspace.command("unpin")(_pin_command(False))


@workspace.command("status")
def status(workspace_id: WorkspaceId, as_json: JsonFlag = False) -> None:
    """One workspace: phase, reason, ports, tasks, last backup."""
    with api_or_fail(as_json) as api:
        ws = api.call("GET", f"/api/workspaces/{workspace_id}")
        if as_json:
            emit_json(ws)
            return
        console.print(f"[bold]{ws['id']}[/bold] ({ws['owner']}) {ws.get('phase') or 'never started'}"
                      + (f": {ws['reason']}" if ws.get("reason") else ""))
        console.print(f"  context: {ws['context_url']}" + (f" at {ws['commit'][:12]}" if ws.get("commit") else ""))
        console.print(f"  IDE: {ws['url']}")
        for port in ws.get("ports", []):
            console.print(f"  port {port['port']} {port['visibility']}: {port['url']}")
        for task in ws.get("tasks", []):
            console.print(f"  task {task.get('name') or task['index']}: {task['phase']}")
        if ws.get("last_backup"):
            backup = ws["last_backup"]
            console.print(f"  last backup: {_mb(backup['bytes'])} in {backup['seconds']:.1f} s at {backup['at']}")


def _command(path: str, verb: str, until: set[str]) -> Callable[..., None]:
    def run(workspace_id: WorkspaceId, wait: Wait = True, as_json: JsonFlag = False) -> None:
        with api_or_fail(as_json) as api:
            before = api.call("GET", f"/api/workspaces/{workspace_id}")
            answer = api.call("POST", f"/api/workspaces/{workspace_id}/{path}")
            followed = None
            if answer.get("phase") in until:
                outcome = str(answer["phase"])  # nothing to wait for (stopping a stopped workspace)
            elif wait:
                followed = follow(api, workspace_id, until, as_json, after=before["version"])
                outcome = followed.phase
            else:
                outcome = ""
            final = api.call("GET", f"/api/workspaces/{workspace_id}",
                             params={"min_version": followed.version} if followed else None)
            if as_json:
                emit_json(final if wait else answer)
            elif outcome == "running":
                print_ready(final)
            elif wait:
                console.print(f"{workspace_id}: {outcome}" + (f": {final['reason']}" if final.get("reason") else ""))
            if wait and outcome == "failed":
                raise SystemExit(1)

    run.__doc__ = f"{verb} a workspace (and follow it until it settles)."
    return run


workspace.command("start")(_command("start", "Start", SETTLED_RUNNING))
workspace.command("stop")(_command("stop", "Stop", SETTLED_STOPPED))


@workspace.command("delete")
def delete(workspace_id: WorkspaceId,
           yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
           as_json: JsonFlag = False) -> None:
    """Delete a workspace and everything it owns (container, volume, backups)."""
    if not yes and not as_json:
        typer.confirm(f"Delete {workspace_id} and all its content?", abort=True)
    with api_or_fail(as_json) as api:
        answer = api.call("DELETE", f"/api/workspaces/{workspace_id}")
        if as_json:
            emit_json(answer)
        else:
            console.print(f"deleted {workspace_id}")


@workspace.command("logs")
def logs(workspace_id: WorkspaceId,
         task: Annotated[int | None, typer.Option(help="A task's output instead of the build log.")] = None,
         as_json: JsonFlag = False) -> None:
    """The image build log, or a task's output."""
    with api_or_fail(as_json) as api:
        if task is None:
            found = api.call("GET", f"/api/workspaces/{workspace_id}/logs")
            if as_json:
                emit_json(found)
            else:
                for line in build_lines(found):
                    console.print(line, markup=False, highlight=False)
            return
        response = api.call("GET", f"/api/workspaces/{workspace_id}/logs", params={"task": task})
        text = response.content.decode("utf-8", "replace")
        if as_json:
            emit_json({"task": task, "output": text})
        else:
            console.out(text, end="")


@workspace.command("ports")
def ports(workspace_id: WorkspaceId, as_json: JsonFlag = False) -> None:
    """The workspace's ports with their URLs and visibility."""
    with api_or_fail(as_json) as api:
        ws = api.call("GET", f"/api/workspaces/{workspace_id}")
        if as_json:
            emit_json({"ports": ws.get("ports", [])})
            return
        table(f"Ports of {workspace_id}", ["port", "name", "visibility", "listening", "url"],
              [[p["port"], p.get("name") or "", p["visibility"], "yes" if p["listening"] else "no", p["url"]]
               for p in ws.get("ports", [])])


@workspace.command("open")
def open_workspace(workspace_id: WorkspaceId,
                   port: Annotated[int | None, typer.Option(help="A port instead of the IDE.")] = None,
                   as_json: JsonFlag = False) -> None:
    """Print the IDE's (or a port's) URL and open it in a browser when there is one."""
    with api_or_fail(as_json) as api:
        ws = api.call("GET", f"/api/workspaces/{workspace_id}")
        url = ws["url"]
        if port is not None:
            matching = [p["url"] for p in ws.get("ports", []) if p["port"] == port]
            if not matching:
                fail(f"{workspace_id} has no port {port}", as_json)
            url = matching[0]
        if as_json:
            emit_json({"url": url})
            return
        console.print(url)
        webbrowser.open(url)
