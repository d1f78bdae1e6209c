from __future__ import annotations

import os
from pathlib import Path

from infra.images.context import has_wildcard, select_context
from infra.images.dockerignore import DockerIgnore


def make_tree(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def selected(root: Path, *sources: str, ignore: str = "") -> list[str]:
    return [e.path for e in select_context(root, sources, DockerIgnore.from_text(ignore))]


def test_whole_context_lists_everything_but_ignored(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.txt": "", "src/b.py": "", "node_modules/x/y.js": "", ".git/HEAD": ""})
    assert selected(tmp_path, ".", ignore="node_modules\n.git") == [".", "a.txt", "src", "src/b.py"]


def test_exceptions_reach_into_excluded_directories(tmp_path: Path) -> None:
    make_tree(tmp_path, {"build/keep/k.txt": "", "build/drop.txt": "", "src/a": ""})
    expected = [".", "build/keep", "build/keep/k.txt", "src", "src/a"]
    assert selected(tmp_path, ".", ignore="build\n!build/keep") == expected


def test_only_named_sources(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.txt": "", "src/b.py": "", "src/sub/c.py": "", "docs/d.md": ""})
    assert selected(tmp_path, "src", "a.txt") == ["a.txt", "src", "src/b.py", "src/sub", "src/sub/c.py"]
    assert selected(tmp_path, "missing.txt") == []


def test_wildcards_follow_go_rules(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.txt": "", ".hidden.txt": "", "b.md": "", "pkg/x.txt": "", "pkg/y/z.txt": ""})
    assert selected(tmp_path, "*.txt") == [".hidden.txt", "a.txt"]  # Go's * matches dotfiles
    assert selected(tmp_path, "*/*.txt") == ["pkg/x.txt"]
    assert selected(tmp_path, "p?g") == ["pkg", "pkg/x.txt", "pkg/y", "pkg/y/z.txt"]
    assert selected(tmp_path, "[ab].*") == ["a.txt", "b.md"]
    assert selected(tmp_path, "[^a].md") == ["b.md"]
    assert selected(tmp_path, "*.txt", ignore="a.txt") == [".hidden.txt"]


def test_has_wildcard() -> None:
    assert has_wildcard("*.txt")
    assert has_wildcard("a/[bc]")
    assert not has_wildcard("plain/path")
    assert not has_wildcard("a\\*b")


def test_symlinks_are_followed_inside_the_context_only(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, {"secret": "s"})
    root = tmp_path / "ctx"
    make_tree(root, {"real/file.txt": "x", "etc/passwd": "not the host's"})
    (root / "link").symlink_to("real")
    (root / "abs").symlink_to("/etc")  # "/" is the context root for the engine
    (root / "escape").symlink_to("../../outside")
    assert selected(root, "link") == ["link", "real", "real/file.txt"]
    assert selected(root, "abs/passwd") == ["abs", "etc/passwd"]
    assert selected(root, "escape/secret") == ["escape"]  # resolves to ./outside/secret, absent
    # while walking a directory, symlinks stay symlinks
    assert selected(root, ".") == [".", "abs", "escape", "etc", "etc/passwd", "link", "real", "real/file.txt"]


def test_entries_carry_modes_and_sizes(tmp_path: Path) -> None:
    make_tree(tmp_path, {"run.sh": "echo hi\n"})
    os.chmod(tmp_path / "run.sh", 0o755)
    (entry,) = select_context(tmp_path, ["run.sh"], DockerIgnore.from_text(""))
    assert entry.mode & 0o777 == 0o755
    assert entry.size == 8
