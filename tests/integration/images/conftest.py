"""Fixtures for tests against the real Docker engine. No engine, or no base image, is a failure,
never a skip: the setup (scripts/base-image.sh, a running dockerd) is part of what is tested."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from domain.errors import Unavailable
from infra.images.builder import ImageBuilder
from infra.images.local_images import BASE_IMAGE, LocalImages, connect


@pytest.fixture
def docker_api() -> Iterator[docker.APIClient]:
    try:
        api = connect()
    except Unavailable as error:
        pytest.fail(f"{error} (start it: nohup dockerd >/tmp/dockerd.log 2>&1 &)")
    try:
        try:
            api.inspect_image(BASE_IMAGE)  # type: ignore[no-untyped-call]
        except docker.errors.NotFound:
            pytest.fail(f"{BASE_IMAGE} is missing: run scripts/base-image.sh")
        yield api
    finally:
        api.close()


@pytest.fixture
def built_tags(docker_api: docker.APIClient) -> Iterator[list[str]]:
    """Tags of images a test built; removed afterwards so test runs leave no images behind."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        with contextlib.suppress(docker.errors.NotFound):
            docker_api.remove_image(tag, force=True)


@pytest.fixture
def builder(docker_api: docker.APIClient) -> ImageBuilder:
    return ImageBuilder(docker_api, LocalImages(docker_api))
