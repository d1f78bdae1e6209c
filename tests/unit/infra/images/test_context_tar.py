from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from infra.images.cache_key import plan_build
from infra.images.context_tar import ContextTar
from infra.images.spec import DockerfileBuild

BASE_ID = "sha256:" + "b" * 64


def resolve(name: str) -> str:
    return BASE_ID


def build_tar(root: Path) -> tuple[dict[str, tarfile.TarInfo], tarfile.TarFile, str, str]:
    plan = plan_build(DockerfileBuild(root), resolve)
    out = io.BytesIO()
    sink = ContextTar(out, ".berth-dockerfile-x", plan.dockerfile_bytes)
    key_with_sink = plan.key(sink=sink)
    sink.finish()
    out.seek(0)
    archive = tarfile.open(fileobj=out)  # noqa: SIM115 - read by the caller; BytesIO needs no closing
    return {m.name: m for m in archive.getmembers()}, archive, key_with_sink.value, plan.key().value


def test_tar_holds_the_hashed_entries_and_the_hidden_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM base\nCOPY src /src\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src/a.py").write_text("a = 1\n")
    (tmp_path / "src/big.bin").write_bytes(os.urandom(3 << 20))  # streamed in chunks
    os.chmod(tmp_path / "src/a.py", 0o750)
    (tmp_path / "src/link").symlink_to("a.py")
    (tmp_path / "unrelated.txt").write_text("not sent\n")

    members, archive, key_with_sink, key_plain = build_tar(tmp_path)

    assert key_with_sink == key_plain  # the tar is the hashed content
    sent = {"src", "src/a.py", "src/big.bin", "src/link", ".dockerignore", ".berth-dockerfile-x"}
    assert set(members) == sent
    assert members["src/a.py"].mode == 0o750
    assert members["src/link"].issym()
    assert members["src/link"].linkname == "a.py"
    big = archive.extractfile("src/big.bin")
    assert big is not None
    assert big.read() == (tmp_path / "src/big.bin").read_bytes()
    ignore = archive.extractfile(".dockerignore")
    assert ignore is not None
    assert ignore.read().decode().split() == [".dockerignore", ".berth-dockerfile-x"]
    dockerfile = archive.extractfile(".berth-dockerfile-x")
    assert dockerfile is not None
    assert dockerfile.read() == (tmp_path / "Dockerfile").read_bytes()


def test_a_copied_dockerignore_is_amended_to_hide_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM base\nCOPY . /app\n")
    (tmp_path / ".dockerignore").write_text("secret")
    (tmp_path / "secret").write_text("x")
    members, archive, _, _ = build_tar(tmp_path)
    assert "secret" not in members
    assert "Dockerfile" in members  # COPY . copies it, as with docker build
    ignore = archive.extractfile(".dockerignore")
    assert ignore is not None
    assert ignore.read() == b"secret\n.berth-dockerfile-x\n"
