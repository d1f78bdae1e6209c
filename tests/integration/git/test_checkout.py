"""Checking a commit out into a directory (the image builder's build context)."""

from __future__ import annotations

from pathlib import Path

from infra.git import GitCache
from infra.git.checkout import checked_out, checkout_commit
from tests.gitserver import FIRST_GITPOD_YML, SECOND_GITPOD_YML, Seeded, SmartHttpServer


async def test_a_commit_is_written_out_as_stored(git_http: SmartHttpServer, seeded: Seeded,
                                                 git_cache: GitCache, tmp_path: Path) -> None:
    url = git_http.url("acme/widgets")
    await checkout_commit(url, seeded.widgets.feature, tmp_path / "feature", cache=git_cache)
    assert (tmp_path / "feature" / ".gitpod.yml").read_text() == SECOND_GITPOD_YML
    assert (tmp_path / "feature" / "src" / "app.py").is_file()
    assert not (tmp_path / "feature" / ".git").exists()


async def test_the_temporary_checkout_is_the_asked_commit_and_goes_away(
    git_http: SmartHttpServer, seeded: Seeded, git_cache: GitCache,
) -> None:
    url = git_http.url("acme/widgets")
    async with checked_out(url, seeded.widgets.first, cache=git_cache) as root:
        assert (root / ".gitpod.yml").read_text() == FIRST_GITPOD_YML
        assert not (root / "src").exists()
    assert not root.exists()

