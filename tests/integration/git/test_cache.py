"""The cache of fetched objects: where it lives, and that concurrent users of one repository do not clash."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from infra.git import GitCache, default_cache_root, read_files_at
from tests.gitserver import FIRST_GITPOD_YML, SECOND_GITPOD_YML, Seeded, SmartHttpServer


async def test_concurrent_reads_of_one_repository(git_http: SmartHttpServer, seeded: Seeded,
                                                  git_cache: GitCache) -> None:
    url = git_http.url("acme/widgets")
    commits = [seeded.widgets.first, seeded.widgets.main] * 4
    results = await asyncio.gather(*(read_files_at(url, sha, [".gitpod.yml"], cache=git_cache) for sha in commits))
    assert [files[".gitpod.yml"] for files in results] == [FIRST_GITPOD_YML, SECOND_GITPOD_YML] * 4


def test_the_cache_root_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BERTH_GIT_CACHE", str(tmp_path / "here"))
    assert default_cache_root() == tmp_path / "here"
    assert GitCache().root == tmp_path / "here"
    monkeypatch.delenv("BERTH_GIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_root() == tmp_path / "xdg" / "berth" / "git"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_root() == tmp_path / "home" / ".cache" / "berth" / "git"


def test_each_url_has_its_own_bare_repository(tmp_path: Path) -> None:
    cache = GitCache(tmp_path)
    first, second = cache.path_for("http://127.0.0.1:1/a"), cache.path_for("git://127.0.0.1:1/a")
    assert first != second and first.parent == second.parent == tmp_path
    assert first.name.endswith(".git") and cache.path_for("http://127.0.0.1:1/a") == first
