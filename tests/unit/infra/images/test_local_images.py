from __future__ import annotations

import pytest

from infra.images.local_images import (
    BASE_IMAGE,
    ImageMap,
    is_image_id,
    normalize_reference,
    repository_of,
    split_reference,
)


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("ubuntu", "ubuntu:latest"),
        ("docker.io/library/ubuntu:22.04", "ubuntu:22.04"),
        ("gitpod/workspace-full", "gitpod/workspace-full:latest"),
        ("localhost:5000/team/img", "localhost:5000/team/img:latest"),
        ("mcr.microsoft.com/devcontainers/base:bookworm", "mcr.microsoft.com/devcontainers/base:bookworm"),
        ("img@sha256:" + "1" * 64, "img@sha256:" + "1" * 64),
        ("sha256:" + "f" * 64, "sha256:" + "f" * 64),
    ],
)
def test_normalize_reference(name: str, normalized: str) -> None:
    assert normalize_reference(name) == normalized


def test_reference_parts() -> None:
    assert repository_of("localhost:5000/team/img:1") == "localhost:5000/team/img"
    assert repository_of("gitpod/workspace-full:2024-01-01") == "gitpod/workspace-full"
    assert split_reference("localhost:5000/img:1") == ("localhost:5000/img", "1")
    assert split_reference("img@sha256:" + "1" * 64) == ("img@sha256:" + "1" * 64, None)
    assert is_image_id("0123456789ab")
    assert not is_image_id("ubuntu")


def test_default_mapping_covers_every_tag_of_gitpod_images() -> None:
    images = ImageMap()
    assert images.local_name("gitpod/workspace-full") == BASE_IMAGE
    assert images.local_name("gitpod/workspace-full:2024-05-01-10-00-00") == BASE_IMAGE
    assert images.local_name("docker.io/gitpod/workspace-base:latest") == BASE_IMAGE
    assert images.local_name("ubuntu:22.04") == "ubuntu:22.04"


def test_tagged_keys_map_only_that_tag() -> None:
    images = ImageMap({"python:3.12": "berth/python:3.12", "node": "berth/node:22"})
    assert images.local_name("python:3.12") == "berth/python:3.12"
    assert images.local_name("python:3.11") == "python:3.11"
    assert images.local_name("node:20") == "berth/node:22"
    assert images.local_name("gitpod/workspace-full") == "gitpod/workspace-full"  # replaced, not merged
