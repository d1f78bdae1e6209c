"""`berth config check` on a working tree and on a repository URL served by a real git daemon."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.e2e.berth_process import berth
from tests.gitserver import BareRepo, GitDaemon, Seeded


def test_a_working_tree_with_both_files_uses_gitpod_yml_and_says_so(tmp_path: Path) -> None:
    (tmp_path / ".gitpod.yml").write_text("tasks:\n  - init: make\n    command: make run\nunknown: 1\n")
    (tmp_path / ".devcontainer.json").write_text('{"image": "debian:12", // comment\n}')
    done = berth(tmp_path, "config", "check", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)["config"]
    assert config["sources"] == [".gitpod.yml"] and config["ignored_sources"] == [".devcontainer.json"]
    assert config["tasks"][0]["init"] == "make"
    assert any(w["field"] == "unknown" and w["line"] == 4 for w in config["warnings"])
    human = berth(tmp_path, "config", "check", str(tmp_path))
    assert "ignored .devcontainer.json" in human.stdout and "unknown key 'unknown'" in human.stdout


def test_an_invalid_file_names_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text('{\n  "image": "x",\n  "forwardPorts": [true]\n}')
    done = berth(tmp_path, "config", "check", str(tmp_path), "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert (error["file"], error["line"], error["field"]) == (".devcontainer/devcontainer.json", 3, "forwardPorts[0]")


def test_a_repository_url_is_checked_at_the_commit_it_resolves_to(seeded: Seeded, git: GitDaemon,
                                                                  tmp_path: Path) -> None:
    name = f"cfg/r-{uuid.uuid4().hex[:8]}"
    repo = BareRepo.create(seeded.root / f"{name}.git")
    repo.commit("main", {".gitpod.yml": "image: gitpod/workspace-full\n"})
    done = berth(tmp_path, "config", "check", git.url(name), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["config"]["image"] == {"kind": "image", "name": "gitpod/workspace-full"}
    missing = berth(tmp_path, "config", "check", git.url("cfg/nope"), "--json")
    assert missing.returncode == 1 and "not found" in json.loads(missing.stdout)["error"]


def test_neither_a_directory_nor_a_url_is_refused(tmp_path: Path) -> None:
    done = berth(tmp_path, "config", "check", "no-such-thing")
    assert done.returncode == 1 and "neither a directory nor a repository URL" in done.stderr
