"""Browser IDE readiness and WebSocket latency through Berth, each next to a floor measured in the same run.

- ide_ready: workspace request (POST /api/workspaces) -> VS Code's workbench visible in headless Chromium at
  `http://<wsid>.ws.<domain>:<port>/`, through Berth's proxy, with a logged-in browser (fresh context per round:
  no HTTP cache). Floor: the same code-server install, started directly in the same image by `docker run`
  (mounted read-only at /.berth/ide, the supervisor's flags) and loaded directly on a published 127.0.0.1 port,
  from `docker run` to the workbench visible. Target <= 1.3x.
- ws_rtt: median round trip of a small WebSocket message to an echo server that runs as the workspace's task
  on a public port, through the proxy; against the same echo server in the same image on a published port.

Run: `python bench/ide_ready.py` (`--quick`: fewer rounds and round trips). Prints a table; the last line is one
JSON object. Needs Docker, the base image, code-server (scripts/install-code-server.sh) and Chromium with
Playwright (scripts/install-browser.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import Berth, Git, listening, wait_until  # noqa: E402

from tests.e2e.browser import WORKBENCH, chromium, log_in  # noqa: E402

IMAGE = "berth/base:latest"
IDE_MOUNT = "/.berth/ide"
IDE_PORT = 23000
ECHO_PORT = 8765
DOMAIN = "berth.localhost"
"""Not bare `localhost`: Chromium keeps a `Domain=localhost` cookie host-only, so the login would not reach the
workspace hosts (see tests/e2e/test_ide_browser.py)."""
ECHO_SERVER = '''"""A WebSocket echo server (RFC 6455) on the standard library: the base image has no websockets."""
import asyncio, base64, hashlib, struct, sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


async def frame(reader):
    head = await reader.readexactly(2)
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    mask = await reader.readexactly(4) if head[1] & 0x80 else b"\\0\\0\\0\\0"
    data = bytearray(await reader.readexactly(length))
    for i in range(length):
        data[i] ^= mask[i % 4]
    return opcode, bytes(data)


def encode(opcode, data):
    n = len(data)
    if n < 126:
        size = bytes([n])
    else:
        size = b"\\x7e" + struct.pack("!H", n) if n < 65536 else b"\\x7f" + struct.pack("!Q", n)
    return bytes([0x80 | opcode]) + size + data


async def serve(reader, writer):
    try:
        request = await reader.readuntil(b"\\r\\n\\r\\n")
        headers = {}
        for line in request.decode("latin-1").split("\\r\\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()).decode()
        writer.write(("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                      f"Sec-WebSocket-Accept: {accept}\\r\\n\\r\\n").encode())
        while True:
            opcode, data = await frame(reader)
            if opcode == 8:
                writer.write(encode(8, data[:2]))
                break
            writer.write(encode(10 if opcode == 9 else opcode, data))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, KeyError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, "0.0.0.0", int(sys.argv[1]))
    async with server:
        await server.serve_forever()

asyncio.run(main())
'''


FILES = {
    ".gitpod.yml": f"tasks:\n  - command: python3 echo_ws.py {ECHO_PORT}\n"
                   f"ports:\n  - port: {ECHO_PORT}\n    visibility: public\n",
    "echo_ws.py": ECHO_SERVER,
    "hello.txt": "bench\n",
}
"""One small repository whose task is the WebSocket echo server."""


def install(script: str) -> str:
    done = subprocess.run([str(ROOT / "scripts" / script)], capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/{script} failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def load_workbench(context: BrowserContext, url: str, within: float = 300) -> None:
    """Opens `url` until VS Code's workbench is visible (the server may not answer yet: 502/503, refused)."""
    page = context.new_page()
    deadline = time.monotonic() + within
    try:
        while True:
            try:
                response = page.goto(url, wait_until="commit", timeout=30_000)
                if response is not None and response.ok:
                    page.locator(WORKBENCH).wait_for(state="visible", timeout=60_000)
                    return
            except PlaywrightTimeout:
                raise
            except PlaywrightError as error:  # net::ERR_CONNECTION_REFUSED and the like while the server starts
                if "net::" not in str(error):
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"no workbench at {url} within {within}s")
            time.sleep(0.05)
    finally:
        page.close()


def measure_ide_ready(berth: Berth, git: Git, browser: Browser, cookies: list[Any]) -> tuple[float, str]:
    """(seconds from the request to the workbench, workspace id)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(cookies)
    try:
        started = time.monotonic()
        created = berth.http.post("/api/workspaces", json={"context_url": git.url})
        created.raise_for_status()
        workspace_id = str(created.json()["id"])
        load_workbench(context, f"http://{workspace_id}.ws.{DOMAIN}:{berth.port}/")
        return time.monotonic() - started, workspace_id
    finally:
        context.close()


def floor_command(home: str = "/home/berth") -> str:
    """The supervisor's code-server command line (supervisor/ide.py), in a folder holding the same files."""
    data = f"{home}/ws/.berth/ide"
    return (f"mkdir -p {home}/ws/bench && echo bench > {home}/ws/bench/hello.txt && exec "
            f"{IDE_MOUNT}/node/bin/node {IDE_MOUNT}/lib/node_modules/code-server/out/node/entry.js "
            f"--bind-addr 0.0.0.0:{IDE_PORT} --auth none --disable-telemetry --disable-update-check "
            f"--user-data-dir {data}/user-data --extensions-dir {data}/extensions "
            f"--session-socket /tmp/berth-code-server-{IDE_PORT}.sock {home}/ws/bench")


@contextmanager
def container(*args: str) -> Iterator[str]:
    """`docker run -d --rm` of the base image; removed afterwards whatever happens."""
    name = f"berth-bench-{os.getpid()}-{time.monotonic_ns()}"
    subprocess.run(["docker", "run", "-d", "--rm", "--name", name, *args], capture_output=True, text=True,
                   check=True)
    try:
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def published(name: str, port: int) -> int:
    out = subprocess.run(["docker", "port", name, f"{port}/tcp"], capture_output=True, text=True, check=True).stdout
    return int(out.splitlines()[0].rsplit(":", 1)[-1])


def measure_ide_floor(ide_dir: str, browser: Browser) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        started = time.monotonic()
        with container("-p", f"127.0.0.1::{IDE_PORT}", "-v", f"{ide_dir}:{IDE_MOUNT}:ro", IMAGE,
                       "bash", "-c", floor_command()) as name:
            load_workbench(context, f"http://127.0.0.1:{published(name, IDE_PORT)}/")
            return time.monotonic() - started
    finally:
        context.close()


def ws_rtt_ms(host: str, port: int, count: int) -> float:
    """Median round trip (ms) of a 32-byte text message over one WebSocket to ws://`host`/ via 127.0.0.1:`port`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times: list[float] = []
    with connect(f"ws://{host}/", sock=sock, open_timeout=10, close_timeout=5, compression=None) as ws:
        message = "x" * 32
        for _ in range(10):  # warm: the first messages open the tunnel's buffers
            ws.send(message)
            ws.recv(timeout=10)
        for _ in range(count):
            began = time.perf_counter()
            ws.send(message)
            echoed = ws.recv(timeout=10)
            times.append(time.perf_counter() - began)
            assert echoed == message
    return statistics.median(times) * 1000


def ws_rtt_proxy_ms(berth: Berth, workspace_id: str, count: int) -> float:
    host = f"{ECHO_PORT}-{workspace_id}.ws.{DOMAIN}:{berth.port}"
    deadline = time.monotonic() + 60
    while True:  # the task may still be starting its server
        try:
            return ws_rtt_ms(host, berth.port, count)
        except Exception:  # refused, or the upgrade answered 502 while the server starts
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def ws_rtt_direct_ms(script_dir: Path, count: int) -> float:
    with container("-p", f"127.0.0.1::{ECHO_PORT}", "-v", f"{script_dir}:/bench:ro", IMAGE,
                   "python3", "/bench/echo_ws.py", str(ECHO_PORT)) as name:
        port = published(name, ECHO_PORT)
        wait_until(lambda: listening(port), 30)
        deadline = time.monotonic() + 30
        while True:
            try:
                return ws_rtt_ms(f"127.0.0.1:{port}", port, count)
            except Exception:  # refused, or the upgrade answered 502 while the server starts
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and round trips")
    args = parser.parse_args()
    rounds, trips = (2, 200) if args.quick else (5, 1000)
    ide_dir = install("install-code-server.sh")
    install("install-browser.sh")
    scratch = Path(tempfile.mkdtemp(prefix="berth-bench-ide-"))
    (scratch / "echo").mkdir()
    (scratch / "echo" / "echo_ws.py").write_text(ECHO_SERVER)
    git = Git(scratch / "git", FILES)
    berth = Berth(scratch, BERTH_IDE_DIR=ide_dir, BERTH_DOMAIN=DOMAIN)
    ready: list[float] = []
    floor: list[float] = []
    try:
        with chromium() as browser:
            login = browser.new_context()
            log_in(login.new_page(), f"http://{DOMAIN}:{berth.port}", token=berth.token)
            cookies: list[Any] = list(login.cookies())
            login.close()
            # Warm both sides once: the git cache, the page cache of the code-server files, Chromium itself.
            _, warm_id = measure_ide_ready(berth, git, browser, cookies)
            berth.delete(warm_id)
            measure_ide_floor(ide_dir, browser)
            kept = ""
            for index in range(rounds):
                seconds, workspace_id = measure_ide_ready(berth, git, browser, cookies)
                ready.append(seconds)
                if index == rounds - 1:
                    kept = workspace_id
                else:
                    berth.delete(workspace_id)
                floor.append(measure_ide_floor(ide_dir, browser))
        rtt_proxy = ws_rtt_proxy_ms(berth, kept, trips)
        rtt_direct = ws_rtt_direct_ms(scratch / "echo", trips)
    finally:
        berth.stop()
        git.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = statistics.median(ready) / statistics.median(floor)
    figures: dict[str, Any] = {
        "ide_ready_s": round(statistics.median(ready), 3),
        "ide_floor_s": round(statistics.median(floor), 3),
        "ide_ratio": round(ratio, 3),
        "ide_ready_rounds": [round(r, 3) for r in ready],
        "ide_floor_rounds": [round(f, 3) for f in floor],
        "ws_rtt_proxy_ms": round(rtt_proxy, 3),
        "ws_rtt_direct_ms": round(rtt_direct, 3),
        "ws_rtt_ratio": round(rtt_proxy / rtt_direct, 2),
        "ws_round_trips": trips,
        "targets_met": {"ide_ratio<=1.3": ratio <= 1.3},
    }
    print(f"{'measure':<40}{'berth':>12}{'floor':>12}{'ratio':>10}")
    print(f"{'request -> workbench visible (s)':<40}{figures['ide_ready_s']:>12}{figures['ide_floor_s']:>12}"
          f"{figures['ide_ratio']:>10}")
    print(f"{'WebSocket round trip, median (ms)':<40}{figures['ws_rtt_proxy_ms']:>12}{figures['ws_rtt_direct_ms']:>12}"
          f"{figures['ws_rtt_ratio']:>10}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
