"""The image builder against the real engine: builds from berth/base, cache hits, failures."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import docker
import pytest

from infra.images.builder import KEY_LABEL, ImageBuilder
from infra.images.errors import ImageBuildFailed, ImageNotFound
from infra.images.local_images import BASE_IMAGE, LocalImages
from infra.images.spec import DockerfileBuild, ImageRef

pytestmark = pytest.mark.docker


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_build_streams_logs_then_hits_the_cache(
    builder: ImageBuilder, docker_api: docker.APIClient, built_tags: list[str], tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex  # a fresh context: this build cannot be cached from an earlier run
    root = write(
        tmp_path,
        {
            "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY app/ /opt/app/\nRUN cat /opt/app/marker.txt\n",
            "app/marker.txt": f"marker {marker}\n",
            "unrelated.txt": "not copied\n",
        },
    )
    lines: list[str] = []
    first = builder.ensure(DockerfileBuild(root), on_log=lines.append)
    assert first.tag is not None
    built_tags.append(first.tag)
    assert not first.cache_hit
    assert first.tag == f"berth/ws:{first.key.hex}"
    assert any(line.startswith("Step 1/") for line in lines)
    assert f"marker {marker}" in lines
    labels = docker_api.inspect_image(first.tag)["Config"]["Labels"]  # type: ignore[no-untyped-call]
    assert labels[KEY_LABEL] == first.key.value

    # Same inputs: a hit, decided without a build.
    lines.clear()
    started = time.perf_counter()
    again = builder.ensure(DockerfileBuild(root), on_log=lines.append)
    assert again.cache_hit
    assert again.image_id == first.image_id
    assert lines == []
    assert time.perf_counter() - started < 0.5

    # A file no instruction copies changes nothing; a copied one does.
    (root / "unrelated.txt").write_text("edited\n")
    assert builder.ensure(DockerfileBuild(root)).cache_hit
    (root / "app/marker.txt").write_text(f"edited {marker}\n")
    third = builder.ensure(DockerfileBuild(root), on_log=lines.append)
    assert third.tag is not None
    built_tags.append(third.tag)
    assert not third.cache_hit
    assert third.key != first.key
    assert f"edited {marker}" in lines


def test_context_is_what_the_key_covers(
    builder: ImageBuilder, built_tags: list[str], tmp_path: Path
) -> None:
    root = write(
        tmp_path,
        {
            "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY . /app/\nRUN ls -A /app && echo {uuid.uuid4().hex}\n",
            ".dockerignore": "secret.txt\nbuild/\n!build/keep.txt\n",
            "secret.txt": "do not ship\n",
            "build/drop.o": "",
            "build/keep.txt": "",
            "src/main.py": "",
        },
    )
    lines: list[str] = []
    result = builder.ensure(DockerfileBuild(root), on_log=lines.append)
    assert result.tag is not None
    built_tags.append(result.tag)
    listing = set(lines)
    assert {"Dockerfile", ".dockerignore", "build", "src"} <= listing
    assert "secret.txt" not in listing
    assert not any(line.startswith(".berth-dockerfile") for line in lines)  # hidden from COPY


def test_build_args_and_mapped_base_image(
    builder: ImageBuilder, built_tags: list[str], tmp_path: Path
) -> None:
    root = write(
        tmp_path,
        {"Dockerfile": "FROM gitpod/workspace-full\nARG WHO=nobody\nRUN echo \"hello $WHO\" && id -un\n"},
    )
    lines: list[str] = []
    who = uuid.uuid4().hex
    result = builder.ensure(DockerfileBuild(root, build_args={"WHO": who}), on_log=lines.append)
    assert result.tag is not None
    built_tags.append(result.tag)
    assert f"hello {who}" in lines
    assert "berth" in lines  # the base image's user


def test_failed_build_raises_with_the_log_tail(
    builder: ImageBuilder, docker_api: docker.APIClient, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    root = write(
        tmp_path,
        {"Dockerfile": f"FROM {BASE_IMAGE}\nRUN echo 'about to fail {marker}' && exit 3\n"},
    )
    key = builder.key(DockerfileBuild(root))
    with pytest.raises(ImageBuildFailed) as error:
        builder.ensure(DockerfileBuild(root))
    assert f"about to fail {marker}" in error.value.log_tail
    assert "3" in error.value.reason
    assert len(error.value.log_tail) <= 30
    assert builder.lookup(key) is None  # nothing tagged


def test_unknown_base_image_fails_fast(builder: ImageBuilder, tmp_path: Path) -> None:
    root = write(tmp_path, {"Dockerfile": "FROM berth-test/no-such-image:1\nRUN true\n"})
    started = time.perf_counter()
    with pytest.raises(ImageNotFound) as error:
        builder.ensure(DockerfileBuild(root))
    assert time.perf_counter() - started < 2
    assert error.value.image == "berth-test/no-such-image:1"
    assert "berth-test/no-such-image:1" in str(error.value)
    with pytest.raises(ImageNotFound):
        builder.ensure(ImageRef("berth-test/no-such-image:1"))


def test_pull_without_a_registry_is_bounded(docker_api: docker.APIClient) -> None:
    images = LocalImages(docker_api, allow_pull=True, pull_timeout=5)
    started = time.perf_counter()
    with pytest.raises(ImageNotFound) as error:
        images.resolve("berth-test/no-such-image:1")
    assert time.perf_counter() - started < 10
    assert "pull" in error.value.reason


def test_image_by_name_resolves_to_the_local_id(builder: ImageBuilder, docker_api: docker.APIClient) -> None:
    expected = docker_api.inspect_image(BASE_IMAGE)["Id"]  # type: ignore[no-untyped-call]
    result = builder.ensure(ImageRef(BASE_IMAGE))
    assert result.cache_hit
    assert result.image_id == expected
    assert builder.ensure(ImageRef("gitpod/workspace-full:latest")).image_id == expected


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        (f"FROM {BASE_IMAGE}\nFROBNICATE everything\n", "unknown instruction"),
        (f"FROM {BASE_IMAGE}\nCOPY missing.txt /x\n", "missing.txt"),
    ],
)
def test_engine_rejections_are_build_failures(
    builder: ImageBuilder, tmp_path: Path, dockerfile: str, expected: str
) -> None:
    root = write(tmp_path, {"Dockerfile": dockerfile + f"# {uuid.uuid4().hex}\n"})
    with pytest.raises(ImageBuildFailed) as error:
        builder.ensure(DockerfileBuild(root))
    assert expected in str(error.value).lower()
