"""The browser IDE (code-server) as a service the supervisor keeps running.

The node agent bind-mounts a code-server install (scripts/install-code-server.sh: Node 24 + code-server)
read-only at the config's `ide.dir`; the supervisor starts it as the workspace user, once every task
has passed its `before` step (the workspace's own setup, e.g. tools installed or env exported there,
is in place when the user's editor opens), and restarts it when it dies.

code-server listens on 0.0.0.0:<port> with `--auth none`: the gateway's proxy lets only the owner
through, and it reaches the port only through the supervisor's CONNECT tunnel. Its user data and
extensions live under /workspace/.berth/ide, so settings and installed extensions are in the
workspace's backup and survive a restart; its IPC socket lives in /tmp, outside the backup.

Extensions are installed before code-server first starts, with code-server's own `--install-extension` into the
same extensions directory (Berth's own, into a directory the IDE never used, is unpacked directly instead:
supervisor/vsix_unpack.py, the same files without code-server's 0.8 s of CPU). First Berth's own
(`ide.builtin_extensions`: .vsix files the node agent mounts, e.g. the task terminals of ide_extension/), in
every workspace, so they are there however the IDE's data was restored;
then the config's (`ide.extensions`): `.vsix` files from the repository, and
marketplace ids (`publisher.name`), which need the internet: each is tried once with a short timeout, and
when the marketplace does not answer the remaining ids are not tried. What was not installed, and why, is
written to the IDE's log and the supervisor's; the IDE starts either way.

States: pending (waiting for the `before` steps, then installing extensions) → starting → ready (GET /healthz
answers 200) →
restarting (the process ended; started again after a backoff) → starting → ... ; failed when it
cannot start at all or ended MAX_EARLY_EXITS times in a row before answering; stopped by the shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import posixpath
import re
import signal
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from supervisor.config import IdeConfig
from supervisor.logs import OutputLog
from supervisor.processes import Launcher, signal_group
from supervisor.users import Identity, chown_to
from supervisor.vsix_unpack import UnpackRefused, unpack_into_new_list

log = logging.getLogger("ide")

IdeState = Literal["pending", "starting", "ready", "restarting", "failed", "stopped"]

PROBE_INTERVAL = 0.1
PROBE_FIRST_INTERVAL = 0.02
"""Probes start this often (a refused connection costs nothing) and back off to PROBE_INTERVAL."""
PROBE_TIMEOUT = 2.0
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0
"""Seconds of running after which a crash counts as a new incident (the backoff starts over)."""
MAX_EARLY_EXITS = 5
"""Exits in a row before the IDE ever answered: then it is broken, not unlucky, and reported failed."""
DATA_DIR = ".berth/ide"
"""Below the workspace directory: user data and extensions, kept by the backup."""
VSIX_TIMEOUT = 120.0
"""Seconds for installing one local .vsix (no network: it only unpacks)."""
MARKETPLACE_TIMEOUT = 15.0
"""Seconds for one marketplace id: a workspace without internet must not wait long for its IDE."""
EXTENSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9-]*(@[0-9A-Za-z.+-]+)?$")
"""A marketplace id, `publisher.name`, optionally `@version`."""
_NETWORK_TROUBLE = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|"
    r"network|timed out|timeout|offline|fetch failed", re.IGNORECASE)
# Variables code-server reads that would override the command line (PORT moves the listener) or
# turn authentication back on; a workspace's own env may well set PORT for its dev server.
_OVERRIDES = ("PORT", "PASSWORD", "HASHED_PASSWORD", "CODE_SERVER_CONFIG")


def entry_script(ide_dir: str) -> str:
    return posixpath.join(ide_dir, "lib", "node_modules", "code-server", "out", "node", "entry.js")


def node_binary(ide_dir: str) -> str:
    return posixpath.join(ide_dir, "node", "bin", "node")


def command(config: IdeConfig, workspace_dir: str, folder: str) -> list[str]:
    """code-server's command line (pure: unit-tested)."""
    data = posixpath.join(workspace_dir, DATA_DIR)
    return [
        node_binary(config.dir),
        entry_script(config.dir),
        "--bind-addr",
        f"0.0.0.0:{config.port}",
        "--auth",
        "none",
        "--disable-telemetry",
        "--disable-update-check",
        # The folder is the owner's own repository in a container of their own (Gitpod and Codespaces do
        # not ask either): without this, VS Code asks before any terminal opens, Berth's task terminals too.
        "--disable-workspace-trust",
        "--user-data-dir",
        posixpath.join(data, "user-data"),
        "--extensions-dir",
        posixpath.join(data, "extensions"),
        "--session-socket",
        f"/tmp/berth-code-server-{config.port}.sock",
        folder,
    ]


def data_dir(workspace_dir: str) -> str:
    return posixpath.join(workspace_dir, DATA_DIR)


def install_command(config: IdeConfig, workspace_dir: str, extension: str, *, force: bool = False) -> list[str]:
    """code-server installing one extension (a .vsix path or a marketplace id) where `command`'s code-server
    looks for extensions (pure: unit-tested). `force`: replace any installed version, also a higher one."""
    data = data_dir(workspace_dir)
    argv = [
        node_binary(config.dir),
        entry_script(config.dir),
        "--user-data-dir",
        posixpath.join(data, "user-data"),
        "--extensions-dir",
        posixpath.join(data, "extensions"),
        "--install-extension",
        extension,
    ]
    return [*argv, "--force"] if force else argv


def supervisor_access(port: int, token: str | None) -> dict[str, str]:
    """The IDE's environment for Berth's extension (ide_extension/), which attaches to the tasks' terminals on
    this supervisor's endpoint: its port, and its token when it needs one. In the environment rather than on a
    command line, which every process in the container can read."""
    env = {"BERTH_SUPERVISOR_PORT": str(port)}
    if token is not None:
        env["BERTH_SUPERVISOR_TOKEN"] = token
    return env


@dataclass(frozen=True)
class VsixManifest:
    publisher: str
    name: str
    version: str

    @property
    def id(self) -> str:
        return f"{self.publisher}.{self.name}"

    @property
    def directory(self) -> str:
        """The folder code-server unpacks it to in the extensions directory."""
        return f"{self.id}-{self.version}".lower()


def vsix_manifest(path: str) -> VsixManifest:
    """The extension a .vsix holds (its extension/package.json). ValueError when it is not a readable .vsix."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("extension/package.json"))
    except KeyError:
        raise ValueError("not a .vsix: it has no extension/package.json") from None
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"not a readable .vsix: {error}") from None
    fields = [manifest.get(key) if isinstance(manifest, dict) else None for key in ("publisher", "name", "version")]
    if not all(isinstance(value, str) and value for value in fields):
        raise ValueError("not a .vsix: its extension/package.json lacks publisher, name or version")
    publisher, name, version = (str(value) for value in fields)
    return VsixManifest(publisher, name, version)


def installed_extensions(extensions_dir: str) -> set[str]:
    """The folders in the extensions directory, lowercased (`publisher.name-version`)."""
    try:
        return {entry.lower() for entry in os.listdir(extensions_dir)}
    except OSError:
        return set()


def marketplace_installed(extension: str, present: set[str]) -> bool:
    wanted = extension.lower()
    if "@" in wanted:
        ident, version = wanted.split("@", 1)
        return f"{ident}-{version}" in present
    return any(entry.startswith(wanted + "-") and entry[len(wanted) + 1 : len(wanted) + 2].isdigit()
               for entry in present)


@dataclass
class ExtensionOutcome:
    extension: str
    installed: bool
    detail: str
    """`installed`, `already installed`, or why it was not installed."""

    def as_json(self) -> dict[str, object]:
        return {"extension": self.extension, "installed": self.installed, "detail": self.detail}


def _local_vsix(path: str, missing: str) -> VsixManifest | str:
    """The manifest of the .vsix at `path`, or why it cannot be installed (`missing`: when there is no such file)."""
    if not os.path.isfile(path):
        return missing
    try:
        return vsix_manifest(path)
    except ValueError as error:
        return str(error)


def _last_line(output: bytes) -> str:
    lines = [line.strip() for line in output.decode(errors="replace").replace("\r", "\n").splitlines()]
    shown = [line for line in lines if line]
    return shown[-1][:300] if shown else "no output"


def ide_env(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in _OVERRIDES}


def backoff(previous: float | None) -> float:
    """The wait before the next restart: doubling from BACKOFF_FIRST up to BACKOFF_MAX."""
    return BACKOFF_FIRST if previous is None else min(previous * 2, BACKOFF_MAX)


@dataclass
class IdeStatus:
    port: int
    kind: str = "code-server"
    state: IdeState = "pending"
    restarts: int = 0
    """Times the supervisor started it again after it ended."""
    pid: int | None = None
    last_exit_code: int | None = None
    error: str | None = None
    ready_in: float | None = None
    """Seconds from the latest start of the process to its first answer."""
    extensions: list[ExtensionOutcome] = field(default_factory=list)
    """What became of each extension, Berth's own first (filled in before the first start)."""

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "state": self.state,
            "restarts": self.restarts,
            "port": self.port,
            "pid": self.pid,
            "last_exit_code": self.last_exit_code,
            "error": self.error,
            "ready_in": self.ready_in,
            "extensions": [outcome.as_json() for outcome in self.extensions],
        }


class IdeService:
    def __init__(
        self,
        config: IdeConfig,
        *,
        launcher: Launcher,
        identity: Identity,
        env: Mapping[str, str],
        workspace_dir: str,
        folder: Callable[[], str],
        output: OutputLog,
        on_change: Callable[[IdeStatus], None],
    ) -> None:
        """`folder` is called at each start: what the IDE opens (the workspace location, once it exists)."""
        self.config = config
        self.status = IdeStatus(port=config.port, kind=config.kind)
        self.output = output
        self._launcher = launcher
        self._identity = identity
        self._env = ide_env(env)
        self._workspace_dir = workspace_dir
        self._folder = folder
        self._on_change = on_change
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and not self._stop.is_set():
            self._task = asyncio.create_task(self._supervise(), name="ide")

    def stop(self) -> None:
        """No more (re)starts. The process itself is ended with everything else by the workspace's
        shutdown (its process group is in the launcher's)."""
        self._stop.set()
        if self._task is None:
            self._set("stopped")

    async def stopped(self, within: float) -> None:
        """Wait (up to `within` s) for the supervision to see the process end."""
        if self._task is None:
            return
        try:
            async with asyncio.timeout(within):
                await asyncio.shield(self._task)
        except TimeoutError:
            log.error("the IDE's supervision did not end")

    def _set(self, state: IdeState, **changes: object) -> None:
        self.status.state = state
        for name, value in changes.items():
            setattr(self.status, name, value)
        self._on_change(self.status)

    async def _supervise(self) -> None:
        early_exits = 0
        wait: float | None = None
        try:
            self._make_data_dirs()
            await self._install_extensions()
            while not self._stop.is_set():
                began = time.monotonic()
                answered = await self._run_once()
                if self._stop.is_set():
                    break
                if answered and time.monotonic() - began >= STABLE_AFTER:
                    wait = None
                if not answered:
                    early_exits += 1
                    if early_exits >= MAX_EARLY_EXITS:
                        reason = f"code-server ended {early_exits} times in a row before answering (see the IDE log)"
                        log.error("%s", reason)
                        self._set("failed", error=reason, pid=None)
                        return
                else:
                    early_exits = 0
                wait = backoff(wait)
                log.warning("code-server ended (exit %s); restarting in %g s", self.status.last_exit_code, wait)
                self._set("restarting", pid=None, restarts=self.status.restarts + 1)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._stop.wait()
        except _CannotStart as error:
            log.error("%s", error)
            self._set("failed", error=str(error), pid=None)
            self.output.append(f"berth: {error}\n".encode())
            return
        self._set("stopped", pid=None)

    async def _run_once(self) -> bool:
        """Start code-server and follow it until it ends; True when it answered on its port meanwhile."""
        argv = command(self.config, self._workspace_dir, self._folder())
        self._check_installed(argv[:2])
        try:
            child = self._launcher.spawn(argv, env=self._env, cwd=argv[-1], sink=self.output.append)
        except OSError as error:
            raise _CannotStart(f"cannot start code-server: {error}") from error
        started = time.monotonic()
        self._set("starting", pid=child.pid, ready_in=None)
        log.info("code-server started: pid %d, port %d, opening %s", child.pid, self.config.port, argv[-1])
        probe = asyncio.create_task(self._until_answers(), name="ide-probe")
        waits: set[asyncio.Future[Any]] = {probe, child.exited}
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        answered = probe in done and not probe.cancelled() and probe.exception() is None
        if answered:
            seconds = round(time.monotonic() - started, 3)
            log.info("code-server answers on port %d after %.2f s", self.config.port, seconds)
            self._set("ready", ready_in=seconds, error=None)
        else:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)
        code = await child.exited
        self.status.last_exit_code = code
        return answered

    async def _until_answers(self) -> None:
        interval = PROBE_FIRST_INTERVAL
        while True:
            if await answers(self.config.port):
                return
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, PROBE_INTERVAL)

    def _check_installed(self, paths: list[str]) -> None:
        for path in paths:
            if not os.path.isfile(path):
                raise _CannotStart(f"no {path}: is the IDE mounted at {self.config.dir}?")

    # -- extensions ------------------------------------------------------------------------------

    async def _install_extensions(self) -> None:
        """Install Berth's and the configured extensions, one by one; none of them can keep the IDE from starting."""
        wanted = [*self.config.builtin_extensions, *self.config.extensions]
        if not wanted:
            return
        self._check_installed([node_binary(self.config.dir), entry_script(self.config.dir)])
        unreachable: str | None = None
        for extension in wanted:
            if self._stop.is_set():
                return
            if extension in self.config.builtin_extensions:
                outcome, trouble = await self._install_vsix(extension, builtin=True), None
            else:
                outcome, trouble = await self._install_one(extension, unreachable)
            unreachable = unreachable or trouble
            self.status.extensions.append(outcome)
            self._on_change(self.status)
            if outcome.installed:
                log.info("extension %s: %s", extension, outcome.detail)
                self.output.append(f"berth: extension {extension}: {outcome.detail}\n".encode())
            else:
                log.warning("extension %s not installed: %s", extension, outcome.detail)
                self.output.append(f"berth: extension {extension} NOT installed: {outcome.detail}\n".encode())
        missing = [o.extension for o in self.status.extensions if not o.installed]
        if missing:
            summary = (f"{len(missing)} of {len(wanted)} extensions were not installed "
                       f"({', '.join(missing)}); the IDE starts without them")
            log.warning("%s", summary)
            self.output.append(f"berth: {summary}\n".encode())

    async def _install_one(self, extension: str, unreachable: str | None) -> tuple[ExtensionOutcome, str | None]:
        """The outcome, and (for a marketplace id that failed for want of a network) why the marketplace is
        unreachable, so the remaining ids are not tried."""
        extensions_dir = posixpath.join(data_dir(self._workspace_dir), "extensions")
        if extension.lower().endswith(".vsix"):
            if "://" in extension:
                return ExtensionOutcome(extension, False, "a .vsix URL: Berth installs .vsix files from the "
                                        "repository only; commit the file and give its path"), None
            if not posixpath.isabs(extension) or not extension.startswith(self._workspace_dir.rstrip("/") + "/"):
                return ExtensionOutcome(extension, False, "not a path inside the repository"), None
            return await self._install_vsix(extension, builtin=False), None
        if EXTENSION_ID.fullmatch(extension) is None:
            return ExtensionOutcome(extension, False, "neither a marketplace id (publisher.name) nor the path of a "
                                    ".vsix file in the repository"), None
        if marketplace_installed(extension, installed_extensions(extensions_dir)):
            return ExtensionOutcome(extension, True, "already installed"), None
        if unreachable is not None:
            return ExtensionOutcome(extension, False, f"not tried: the extension marketplace is unreachable from "
                                    f"this workspace ({unreachable})"), None
        ok, detail = await self._run_install(extension, MARKETPLACE_TIMEOUT)
        if ok:
            return ExtensionOutcome(extension, True, "installed from the marketplace"), None
        if _NETWORK_TROUBLE.search(detail):
            return ExtensionOutcome(extension, False, f"the extension marketplace is unreachable from this "
                                    f"workspace ({detail})"), detail
        return ExtensionOutcome(extension, False, f"the marketplace did not provide it: {detail}"), None

    async def _install_vsix(self, path: str, *, builtin: bool) -> ExtensionOutcome:
        """A local .vsix, unless this very version is installed already. Berth's own (`builtin`) is forced in:
        its versions name builds, not an order, and the node's build must win over whatever version a
        workspace's restored IDE data holds."""
        extensions_dir = posixpath.join(data_dir(self._workspace_dir), "extensions")
        manifest = _local_vsix(path, "not mounted in this workspace" if builtin else "no such .vsix file in the "
                               "repository")
        if isinstance(manifest, str):
            return ExtensionOutcome(path, False, manifest)
        if manifest.directory in installed_extensions(extensions_dir):
            return ExtensionOutcome(path, True, f"already installed ({manifest.id} {manifest.version})")
        if builtin:
            try:
                unpack_into_new_list(path, extensions_dir, manifest.directory, manifest.id, manifest.version,
                                     lambda created: chown_to(created, self._identity))
                return ExtensionOutcome(path, True, f"installed ({manifest.id} {manifest.version})")
            except (UnpackRefused, OSError) as refused:
                log.info("extension %s: installing with code-server (%s)", path, refused)
        ok, detail = await self._run_install(path, VSIX_TIMEOUT, force=builtin)
        if ok:
            return ExtensionOutcome(path, True, f"installed ({manifest.id} {manifest.version})")
        return ExtensionOutcome(path, False, f"code-server could not install it: {detail}")

    async def _run_install(self, extension: str, within: float, *, force: bool = False) -> tuple[bool, str]:
        """code-server --install-extension as the workspace user; (succeeded, the reason when not)."""
        argv = install_command(self.config, self._workspace_dir, extension, force=force)
        captured = bytearray()

        def sink(data: bytes) -> None:
            captured.extend(data)
            self.output.append(data)

        try:
            child = self._launcher.spawn(argv, env=self._env, cwd=self._workspace_dir, sink=sink)
        except OSError as error:
            return False, f"cannot start code-server: {error}"
        try:
            async with asyncio.timeout(within):
                code = await asyncio.shield(child.exited)
        except TimeoutError:
            signal_group(child.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await asyncio.shield(child.exited)
            return False, f"timed out after {within:g} s"
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await asyncio.shield(child.output_closed)
        text = captured.decode(errors="replace")
        # code-server exits 0 even when an installation failed; it says so in its output.
        if code == 0 and ("successfully installed" in text or "already installed" in text):
            return True, ""
        return False, _last_line(bytes(captured)) + ("" if code == 0 else f" (exit {code})")

    def _make_data_dirs(self) -> None:
        """/workspace/.berth/ide/{user-data,extensions}, owned by the user (the supervisor may be root)."""
        for name in ("user-data", "extensions"):
            path = posixpath.join(self._workspace_dir, DATA_DIR, name)
            parents: list[str] = []
            parent = path
            while parent != self._workspace_dir and not os.path.exists(parent):
                parents.append(parent)
                parent = posixpath.dirname(parent)
            try:
                os.makedirs(path, exist_ok=True)
                for created in parents:
                    chown_to(created, self._identity)
            except OSError as error:
                raise _CannotStart(f"cannot create {path}: {error}") from error


class _CannotStart(Exception):
    """Starting again would fail the same way: the IDE is missing or its directories cannot be made."""


async def answers(port: int, path: str = "/healthz") -> bool:
    """Whether an HTTP server on 127.0.0.1:`port` answers `path` with 200."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
                await writer.drain()
                status_line = await reader.readline()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError):
        return False
    parts = status_line.split()
    return len(parts) >= 2 and parts[1] == b"200"
