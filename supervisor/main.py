"""berth-supervisor: the entrypoint of every workspace container.

The node agent bind-mounts the executable read-only at /.berth/supervisor (with the runtime directory of
its onedir build beside it, /.berth/supervisor-lib) and the config (see `supervisor.config`) at
/.berth/config.json, and runs

    /.berth/supervisor serve --config /.berth/config.json

CLI
    berth-supervisor --version           prints `berth-supervisor <version>` and exits 0
    berth-supervisor serve --config F    runs the workspace until SIGTERM/SIGINT
    exit status: 0 after a SIGTERM/SIGINT shutdown, 2 for bad usage or an invalid config (the error
    names the field), 1 when it cannot start (unknown user, no privileges to become it, port taken)

Processes (see `tasks`, `lifecycle`, `processes`, `environment`)
    Each task runs as one `bash -lc` (before && init && command; restart: before && command), each
    lifecycle command as `/bin/sh -c` or its argv, as `user`, in /workspace/<checkout_location>
    (else /workspace), in its own session on a pseudo-terminal. Environment: the container's (minus
    what the PyInstaller bootloader adds) + HOME/USER/LOGNAME/SHELL of `user` + TERM=xterm-256color if
    unset + config env + task env (`${containerEnv:VAR[:default]}` resolved) + BERTH_WORKSPACE_ID,
    BERTH_INSTANCE_ID, BERTH_TASK_INDEX. PATH entries a login profile drops are appended again.
    Output: <log_dir>/task-<index>.log and <log_dir>/lifecycle-<hook>.log (truncated per start).
    IDE (see `ide`): with an `ide` in the config, code-server from <ide.dir> (mounted read-only) as
    `user` on 0.0.0.0:<ide.port> (--auth none: the gateway checks the owner), once every task has
    passed its `before` step; user data and extensions in /workspace/.berth/ide; restarted with a
    backoff when it ends. Output: <log_dir>/ide.log. Its environment has BERTH_SUPERVISOR_PORT (and
    BERTH_SUPERVISOR_TOKEN with a `token`): Berth's extension (<ide.builtin_extensions>, installed before the
    config's extensions) attaches VS Code terminals to the tasks' terminals on this endpoint.

HTTP on 0.0.0.0:<port>; one request per connection. When the config has a `token`, every request
needs `Authorization: Bearer <token>` (or `Proxy-Authorization`), else 401.
    GET /_berth/status → 200 JSON
        {"workspace_id", "instance_id", "version", "start_mode": "fresh"|"restart" (the content marker's once
         it came), "content_ready": bool (false while waiting for the config's `content_ready` marker: nothing
         runs until then, see `content`),
         "ready": bool (lifecycle hooks settled, every task in `command` or ended, and ide_ready),
         "ide_ready": bool (the IDE answers; true when the config has no IDE),
         "ide": null (no IDE) | {"kind": "code-server", "state": "pending"|"starting"|"ready"|"restarting"|
                  "failed"|"stopped", "restarts": int, "port", "pid": int|null, "last_exit_code": int|null,
                  "error": str|null, "ready_in": seconds from its latest start to its first answer|null},
         "stopping": bool (a shutdown began),
         "tasks": [{"index", "name", "phase": "pending"|"before"|"init"|"command"|"done"|"failed",
                    "exit_code": int|null (128+N when killed by signal N), "ended_in": phase|null,
                    "stopped": bool (ended by the shutdown; then phase is "done"), "error": str|null}],
         "ports": [int] (listening on 0.0.0.0/127.0.0.1/::/::1, the supervisor's and the IDE's ports excluded),
         "lifecycle": [{"hook", "state": "pending"|"running"|"done"|"failed"|"skipped",
                        "exit_code", "stopped", "reason", "commands": [{"name", "state", "exit_code", "error"}]}],
         "activity_at": epoch seconds|null (last CONNECT opened or carrying bytes), "started_at": epoch seconds}
    GET /_berth/tasks/<index>/log?offset=N → 200 application/octet-stream: the task's terminal output
        from byte N (at most 1 MiB); headers X-Log-Size (bytes so far), X-Log-Offset (N),
        X-Log-Ended ("true" when this body reaches the end and nothing more will be written).
        404 for an unknown task, 400 for an offset beyond X-Log-Size or not an integer.
    GET /_berth/lifecycle/<hook>/log?offset=N → the same for a lifecycle hook (e.g. postCreateCommand).
    GET /_berth/ide/log?offset=N → the same for the IDE (404 without one); X-Log-Ended stays false.
    POST /_berth/shutdown?grace=10 → SIGTERM to every process group the supervisor started, SIGKILL
        after `grace` seconds (0-3600), then 200 JSON {"tasks": [...], "lifecycle": [...]} (final
        states as in status). Tasks that had not started end as done/stopped. The supervisor keeps
        serving afterwards; later calls answer at once.
    CONNECT 127.0.0.1:<port> HTTP/1.1 (also localhost, [::1]) → "HTTP/1.1 200 Connection Established",
        then bytes both ways (half-closes passed on); 127.0.0.1 falls back to ::1 when refused;
        502 with the reason when nothing listens; 400 for other hosts. Updates activity_at.
    Anything else: 400 (malformed), 404 (unknown path), 405 (wrong method), with a text/plain reason.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from supervisor import stderr_log
from supervisor.api import Api
from supervisor.config import ConfigError, SupervisorConfig, load_config
from supervisor.environment import container_env
from supervisor.http import MAX_HEAD_BYTES
from supervisor.ports import PortWatcher
from supervisor.processes import Launcher
from supervisor.reaper import Reaper, become_subreaper
from supervisor.users import Credentials, Identity, UserError, credentials_for, resolve
from supervisor.version import version
from supervisor.workspace import Workspace

log = logging.getLogger("supervisor")

SIGTERM_GRACE = 7.0
"""Seconds processes get after a SIGTERM to the supervisor: `docker stop` kills everything after 10."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="berth-supervisor", description="Runs a Berth workspace's processes.")
    parser.add_argument("--version", action="version", version=f"berth-supervisor {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the workspace (the container's entrypoint)")
    serve.add_argument("--config", type=Path, required=True, help="the JSON config the node agent wrote")
    args = parser.parse_args(argv)

    stderr_log.configure()
    try:
        config = load_config(args.config)
    except ConfigError as error:
        log.error("invalid config %s: %s", args.config, error)
        return 2
    try:
        identity = resolve(config.user)
        credentials = credentials_for(identity)
    except UserError as error:
        log.error("%s", error)
        return 1
    try:
        # Bound before anything starts, so a taken port fails fast and leaves the workspace untouched.
        listener = socket.create_server(("0.0.0.0", config.port))
    except OSError as error:
        log.error("cannot listen on 0.0.0.0:%d: %s", config.port, error.strerror or error)
        return 1
    if not become_subreaper():
        log.warning("could not become a child subreaper; orphans are reaped only when this is PID 1")
    return asyncio.run(_serve(config, identity, credentials, listener))


async def _serve(
    config: SupervisorConfig, identity: Identity, credentials: Credentials, listener: socket.socket
) -> int:
    loop = asyncio.get_running_loop()
    reaper = Reaper()
    reaper.start()
    workspace = Workspace(
        config, launcher=Launcher(reaper, credentials), identity=identity, base_env=container_env(os.environ)
    )
    # The IDE's port is Berth's, like the supervisor's: not one of the user's ports.
    own_ports = [config.port] + ([config.ide.port] if config.ide is not None else [])
    ports = PortWatcher(exclude=own_ports, on_change=_ports_changed)
    api = Api(workspace, ports)
    server = await asyncio.start_server(api.serve, sock=listener, limit=MAX_HEAD_BYTES)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # A terminal hanging up is no reason for a workspace to end.
    loop.add_signal_handler(signal.SIGHUP, lambda: log.info("SIGHUP ignored"))
    log.info(
        "berth-supervisor %s: pid %d, workspace %s instance %s, listening on 0.0.0.0:%d, tasks run as %s",
        version(),
        os.getpid(),
        config.workspace_id,
        config.instance_id,
        config.port,
        identity.name,
    )
    watcher = asyncio.create_task(ports.run(), name="ports")
    workspace.start()
    try:
        await stop.wait()
        log.info("stop signal: ending the workspace's processes")
        await workspace.shutdown(SIGTERM_GRACE)
    finally:
        server.close()
        await api.close_connections()
        await server.wait_closed()
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        workspace.close()
        reaper.stop()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
    log.info("exiting")
    return 0


def _ports_changed(before: frozenset[int], after: frozenset[int]) -> None:
    opened, closed = sorted(after - before), sorted(before - after)
    log.info(
        "ports: now %s%s%s",
        sorted(after) or "none",
        f", opened {opened}" if opened else "",
        f", closed {closed}" if closed else "",
    )


if __name__ == "__main__":
    sys.exit(main())
