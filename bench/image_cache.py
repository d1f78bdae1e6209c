"""Benchmark: how long it takes to decide that a workspace image is already built.

Creates a build context of 10,000 files shaped like a source tree (`--quick`: 2,000), with a
Dockerfile that copies all of it, and measures in this one run:

- key:        the cache key of the Dockerfile spec (walk, .dockerignore, read and hash every file,
              resolve the base image in the engine), median of several runs;
- sha256sum:  `find … -type f -print0 | xargs -0 sha256sum` over the same files, the floor that
              hashing every byte costs here;
- hit:        key + lookup of the tagged image, after the image was built once for real.

Targets: key time ≤ 1.5 times sha256sum, hit < 500 ms. The last line printed is one JSON object.

    python bench/image_cache.py [--quick] [--files N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from infra.images.builder import ImageBuilder
from infra.images.cache_key import compute_cache_key
from infra.images.local_images import BASE_IMAGE, LocalImages, connect
from infra.images.spec import DockerfileBuild

KEY_RATIO_TARGET = 1.5
HIT_MS_TARGET = 500.0


def make_context(root: Path, files: int, file_size: int | None = None, seed: int = 7) -> int:
    """A source-tree-like context: nested packages, file sizes log-normal around 3 KB (a few large
    ones) unless `file_size` fixes them, a .git directory the .dockerignore leaves out. Returns the
    bytes written."""
    rnd = random.Random(seed)
    per_dir = 50
    written = 0
    for index in range(files):
        directory = root / f"pkg{index // (per_dir * 10):02d}" / f"mod{(index // per_dir) % 10:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        size = file_size if file_size is not None else min(int(rnd.lognormvariate(8.0, 1.2)), 1 << 20)
        (directory / f"file{index % per_dir:03d}.py").write_bytes(rnd.randbytes(size))
        written += size
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".dockerignore").write_text(".git\n")
    (root / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nCOPY . /app\n")
    return written


def median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def sha256sum_all(root: Path) -> None:
    subprocess.run(
        ["bash", "-c", 'find "$1" -type f -print0 | xargs -0 sha256sum > /dev/null', "bench", str(root)],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 files and fewer runs")
    parser.add_argument("--files", type=int, help="number of files in the context")
    parser.add_argument("--runs", type=int, help="timed runs per measurement (median is reported)")
    parser.add_argument(
        "--file-size", type=int, help="every file this many bytes (small sizes stress per-file overhead)"
    )
    args = parser.parse_args()
    files = args.files or (2_000 if args.quick else 10_000)
    runs = args.runs or (3 if args.quick else 7)

    api = connect()
    try:
        images = LocalImages(api)
        builder = ImageBuilder(api, images)
        with tempfile.TemporaryDirectory(prefix="berth-bench-") as tmp:
            root = Path(tmp)
            print(f"creating a {files:,}-file build context in {root} …", file=sys.stderr)
            written = make_context(root, files, args.file_size)
            spec = DockerfileBuild(root)

            # Warm the page cache for both sides, so neither pays for the disk.
            sha256sum_all(root)
            key = compute_cache_key(spec, images)

            floor_ms = median_ms(lambda: sha256sum_all(root), runs)
            key_ms = median_ms(lambda: compute_cache_key(spec, images), runs)

            print("building the image once (the cache entry the hit will find) …", file=sys.stderr)
            started = time.perf_counter()
            built = builder.ensure(spec)
            build_s = time.perf_counter() - started
            try:
                hit = builder.ensure(spec)
                if not hit.cache_hit:
                    raise SystemExit("the second ensure() was not a cache hit")
                hit_ms = median_ms(lambda: builder.ensure(spec), runs)
            finally:
                if built.tag is not None:
                    api.remove_image(built.tag, force=True)
    finally:
        api.close()

    ratio = key_ms / floor_ms
    rows = [
        ("context", f"{key.entries:,} entries, {written / 1e6:.1f} MB hashed"),
        ("sha256sum floor (median)", f"{floor_ms:8.1f} ms"),
        ("cache key (median)", f"{key_ms:8.1f} ms   ratio {ratio:.2f} (target ≤ {KEY_RATIO_TARGET})"),
        ("cache hit: key + lookup", f"{hit_ms:8.1f} ms   (target < {HIT_MS_TARGET:.0f} ms)"),
        ("first build (for reference)", f"{build_s:8.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    result = {
        "files": files,
        "entries": key.entries,
        "bytes": written,
        "runs": runs,
        "sha256sum_floor_ms": round(floor_ms, 1),
        "key_ms": round(key_ms, 1),
        "key_ratio": round(ratio, 3),
        "hit_ms": round(hit_ms, 1),
        "build_s": round(build_s, 2),
        "ok": ratio <= KEY_RATIO_TARGET and hit_ms < HIT_MS_TARGET,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
