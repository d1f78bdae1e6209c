"""Time to ready and restore throughput of real workspaces, each next to a floor measured in the same run.

- ready: workspace request -> its port answering through Berth's proxy (cached image, a small repository),
  against `docker run` of the same image serving the same command on a published port. Target <= 1.3x.
- restore: a restart from the backup of a 200 MB /workspace (MB/s of content restored), against
  `tar | zstd` over the same data. Target >= 0.8x.

Run: `python bench/time_to_ready.py` (`--quick`: fewer rounds, 50 MB). Prints a table; the last line is one
JSON object. Needs the Docker engine and the base image (`make up` or `make test` prepare both).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import Berth, Git, answers, wait_until

IMAGE = "berth/base:latest"
SERVE = "python3 -m http.server 8000"
FILES = {".gitpod.yml": f"tasks:\n  - command: {SERVE}\nports:\n  - port: 8000\n    visibility: public\n",
         "README.md": "bench\n"}
"""One small repository whose task serves HTTP on a public port."""


def measure_ready(berth: Berth, git: Git) -> float:
    started = time.monotonic()
    created = berth.http.post("/api/workspaces", json={"context_url": git.url}).json()
    host = {"Host": f"8000-{created['id']}.ws.{berth.domain}:{berth.port}"}
    wait_until(lambda: answers(f"{berth.url}/", host), 300)
    return time.monotonic() - started


def measure_floor() -> float:
    started = time.monotonic()
    container = subprocess.run(["docker", "run", "-d", "--rm", "-p", "127.0.0.1::8000", IMAGE, "bash", "-lc", SERVE],
                               capture_output=True, text=True, check=True).stdout.strip()
    try:
        port = subprocess.run(["docker", "port", container, "8000/tcp"], capture_output=True, text=True,
                              check=True).stdout.split(":")[-1].strip()
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/"), 60)
        return time.monotonic() - started
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def container_of(workspace_id: str) -> str:
    return subprocess.run(["docker", "ps", "-q", "--filter", f"label=berth.workspace={workspace_id}"],
                          capture_output=True, text=True, check=True).stdout.strip()


def measure_restore(berth: Berth, git: Git, megabytes: int) -> tuple[float, float, int]:
    """(restore MB/s, tar|zstd MB/s, bytes) for a /workspace holding `megabytes` MB: half random, half text."""
    created = berth.http.post("/api/workspaces", json={"context_url": git.url}).json()
    workspace_id = created["id"]
    berth.wait_phase(workspace_id, {"running"})
    half = megabytes // 2
    fill = (f"mkdir -p /workspace/data && cd /workspace/data && "
            f"head -c {half}M /dev/urandom > random.bin && "
            f"for i in $(seq 1 {half}); do seq 1 150000 | head -c 1048576 > text-$i.txt; done && sync")
    subprocess.run(["docker", "exec", "-u", "berth", container_of(workspace_id), "bash", "-c", fill], check=True)
    berth.http.post(f"/api/workspaces/{workspace_id}/stop")
    berth.wait_phase(workspace_id, {"stopped"})
    berth.http.post(f"/api/workspaces/{workspace_id}/start")
    berth.wait_phase(workspace_id, {"running"})
    restored = restore_figures(berth, workspace_id)
    tar_seconds, tar_bytes = tar_zstd(container_of(workspace_id))
    return restored[0] / restored[1] / 1e6, tar_bytes / tar_seconds / 1e6, restored[0]


def restore_figures(berth: Berth, workspace_id: str) -> tuple[int, float]:
    """(bytes, seconds) of the last content init, read from the workspace's own events."""
    figures: tuple[int, float] | None = None
    with berth.http.stream("GET", f"/api/workspaces/{workspace_id}/events", params={"after": 0}) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                event = json.loads(line[5:])
                payload = event["payload"]
                if event["type"] == "workspace.content_initialized" and payload["source"] == "backup":
                    figures = (int(payload["bytes"]), float(payload["seconds"]))
                if figures and event["type"] == "workspace.instance_phase_changed" and payload["phase"] == "running":
                    break  # the restored instance runs: everything about its restore has been read
    assert figures is not None
    return figures


def tar_zstd(container: str) -> tuple[float, int]:
    """`tar | zstd -3 -T0` of the same /workspace, on the host through the container's mount."""
    mount = subprocess.run(["docker", "inspect", "-f",
                            '{{range .Mounts}}{{if eq .Destination "/workspace"}}{{.Source}}{{end}}{{end}}', container],
                           capture_output=True, text=True, check=True).stdout.strip()
    started = time.monotonic()
    done = subprocess.run(f"tar -C {mount} -cf - . | tee >(wc -c >&2) | zstd -3 -T0 -q -c > /dev/null",
                          shell=True, executable="/bin/bash", capture_output=True, text=True, check=True)
    return time.monotonic() - started, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and 50 MB of content")
    args = parser.parse_args()
    rounds, megabytes = (2, 50) if args.quick else (5, 200)
    scratch = Path(tempfile.mkdtemp(prefix="berth-bench-"))
    git = Git(scratch / "git", FILES)
    berth = Berth(scratch)
    try:
        measure_ready(berth, git)  # warm: the first start fetches the repository into the git cache
        ready = [measure_ready(berth, git) for _ in range(rounds)]
        floor = [measure_floor() for _ in range(rounds)]
        restore_mb_s, tar_zstd_mb_s, restored_bytes = measure_restore(berth, git, megabytes)
    finally:
        berth.stop()
        git.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    ready_ratio = statistics.median(ready) / statistics.median(floor)
    restore_ratio = restore_mb_s / tar_zstd_mb_s
    figures: dict[str, Any] = {
        "ready_s": round(statistics.median(ready), 3),
        "floor_s": round(statistics.median(floor), 3),
        "ready_ratio": round(statistics.median(ready) / statistics.median(floor), 3),
        "ready_rounds": [round(r, 3) for r in ready],
        "floor_rounds": [round(f, 3) for f in floor],
        "restore_mb_per_s": round(restore_mb_s, 1),
        "tar_zstd_mb_per_s": round(tar_zstd_mb_s, 1),
        "restore_ratio": round(restore_mb_s / tar_zstd_mb_s, 3),
        "restored_mb": round(restored_bytes / 1e6, 1),
    }
    figures["targets_met"] = {"ready_ratio<=1.3": ready_ratio <= 1.3, "restore_ratio>=0.8": restore_ratio >= 0.8}
    print(f"{'measure':<34}{'berth':>12}{'floor':>12}{'ratio':>10}")
    print(f"{'request -> port answers (s)':<34}{figures['ready_s']:>12}{figures['floor_s']:>12}"
          f"{figures['ready_ratio']:>10}")
    print(f"{'restore vs tar|zstd (MB/s)':<34}{figures['restore_mb_per_s']:>12}{figures['tar_zstd_mb_per_s']:>12}"
          f"{figures['restore_ratio']:>10}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
