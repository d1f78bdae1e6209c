"""The cache key changes exactly when an input of the build changes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.errors import InvalidInput
from infra.images.cache_key import CacheKey, compute_cache_key
from infra.images.spec import DockerfileBuild, ImageRef

BASE_ID = "sha256:" + "b" * 64


def resolve(name: str) -> str:
    return {"berth/base:latest": BASE_ID, "alpine": "sha256:" + "a" * 64}[name]


DOCKERFILE = "FROM berth/base:latest\nARG FLAVOR=plain\nCOPY src/ /app/src/\nCOPY run.sh /app/\n"


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    files = {
        "Dockerfile": DOCKERFILE,
        "src/main.py": "print('hi')\n",
        "src/util/helpers.py": "X = 1\n",
        "src/__pycache__/main.cpython-311.pyc": "junk",
        "run.sh": "#!/bin/sh\nexec python3 /app/src/main.py\n",
        "README.md": "docs\n",
        ".dockerignore": "**/__pycache__\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def key_of(root: Path, resolver: Callable[[str], str] = resolve, **kwargs: object) -> CacheKey:
    return compute_cache_key(DockerfileBuild(root, **kwargs), resolver)  # type: ignore[arg-type]


def test_key_is_stable(context: Path) -> None:
    first = key_of(context)
    assert key_of(context) == first
    assert first.value.startswith("sha256:")
    assert len(first.hex) == 64
    assert first.images == (("berth/base:latest", BASE_ID),)
    # src, src/main.py, src/util, src/util/helpers.py, run.sh: src/__pycache__ is ignored, and
    # README.md, Dockerfile and .dockerignore are not copied
    assert first.entries == 5


def test_editing_a_copied_file_changes_the_key(context: Path) -> None:
    before = key_of(context)
    (context / "src/util/helpers.py").write_text("X = 2\n")
    assert key_of(context) != before


def test_same_size_edit_changes_the_key(context: Path) -> None:
    before = key_of(context)
    stat = (context / "run.sh").stat()
    (context / "run.sh").write_text("#!/bin/sh\nexec python3 /app/src/main.pX\n")
    os.utime(context / "run.sh", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime
    assert key_of(context) != before


def test_touching_without_editing_keeps_the_key(context: Path) -> None:
    before = key_of(context)
    os.utime(context / "src/main.py", (1, 1))
    assert key_of(context) == before


def test_unrelated_and_ignored_files_do_not_matter(context: Path) -> None:
    before = key_of(context)
    (context / "README.md").write_text("changed docs\n")
    (context / "notes.txt").write_text("new file nobody copies\n")
    (context / "src/__pycache__/other.pyc").write_text("ignored\n")
    (context / "src/__pycache__/main.cpython-311.pyc").write_text("changed but ignored")
    assert key_of(context) == before


def test_new_file_under_a_copied_directory_changes_the_key(context: Path) -> None:
    before = key_of(context)
    (context / "src/new.py").write_text("")
    assert key_of(context) != before


def test_empty_directory_under_a_copied_directory_changes_the_key(context: Path) -> None:
    before = key_of(context)
    (context / "src/empty").mkdir()
    assert key_of(context) != before


def test_renaming_a_copied_file_changes_the_key(context: Path) -> None:
    before = key_of(context)
    (context / "src/main.py").rename(context / "src/app.py")
    assert key_of(context) != before


def test_execute_bit_changes_the_key(context: Path) -> None:
    before = key_of(context)
    os.chmod(context / "run.sh", 0o755)
    assert key_of(context) != before


def test_symlink_target_changes_the_key(context: Path) -> None:
    (context / "src/current").symlink_to("main.py")
    before = key_of(context)
    (context / "src/current").unlink()
    (context / "src/current").symlink_to("util")
    assert key_of(context) != before


def test_dockerignore_change_that_uncovers_a_file_changes_the_key(context: Path) -> None:
    before = key_of(context)
    (context / ".dockerignore").write_text("")
    assert key_of(context) != before


def test_dockerfile_edit_changes_the_key(context: Path) -> None:
    before = key_of(context)
    (context / "Dockerfile").write_text(DOCKERFILE + "RUN true\n")
    assert key_of(context) != before


def test_build_args_and_target_change_the_key(context: Path) -> None:
    plain = key_of(context)
    assert key_of(context, build_args={"FLAVOR": "fancy"}) != plain
    assert key_of(context, build_args={"FLAVOR": "fancy"}) == key_of(context, build_args={"FLAVOR": "fancy"})
    named = DOCKERFILE.replace("FROM berth/base:latest", "FROM berth/base:latest AS ws")
    (context / "Dockerfile").write_text(named)
    assert key_of(context, target="ws") != key_of(context)


def test_base_image_id_changes_the_key(context: Path) -> None:
    before = key_of(context)
    after = key_of(context, resolver=lambda name: "sha256:" + "c" * 64)
    assert after != before


def test_copy_dot_covers_every_file_but_ignored_ones(context: Path) -> None:
    (context / "Dockerfile").write_text("FROM berth/base:latest\nCOPY . /app\n")
    before = key_of(context)
    (context / "src/__pycache__/x.pyc").write_text("ignored")
    assert key_of(context) == before
    (context / "README.md").write_text("now copied\n")
    assert key_of(context) != before


def test_other_dockerfile_name(context: Path) -> None:
    (context / "dev.Dockerfile").write_text("FROM alpine\nCOPY README.md /\n")
    key = key_of(context, dockerfile="dev.Dockerfile")
    assert key.images == (("alpine", "sha256:" + "a" * 64),)
    (context / "src/main.py").write_text("changed\n")
    assert key_of(context, dockerfile="dev.Dockerfile") == key


def test_missing_dockerfile_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as error:
        compute_cache_key(DockerfileBuild(tmp_path), resolve)
    assert error.value.field == "dockerfile"


def test_image_by_name_is_its_local_id() -> None:
    key = compute_cache_key(ImageRef("berth/base:latest"), resolve)
    assert key.value == BASE_ID


def test_add_url_is_in_the_key_but_not_fetched(context: Path) -> None:
    (context / "Dockerfile").write_text("FROM alpine\nADD https://example.invalid/x.tgz /opt/\n")
    key = key_of(context)
    assert key.remote_sources == ("https://example.invalid/x.tgz",)
    (context / "Dockerfile").write_text("FROM alpine\nADD https://example.invalid/y.tgz /opt/\n")
    assert key_of(context) != key
