"""Cases follow Docker's documented `.dockerignore` rules and moby/patternmatcher's behaviour."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from infra.images.dockerignore import DockerIgnore, clean_pattern


def excluded(patterns: str, path: str) -> bool:
    return DockerIgnore.from_text(patterns).excluded(path)


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        # anchored at the root, unlike gitignore
        ("foo", "foo", True),
        ("foo", "a/foo", False),
        # a directory match takes everything below it
        ("foo", "foo/bar/baz.txt", True),
        ("a/b", "a/b/c", True),
        # a leading slash and ./ are dropped, a trailing slash cleaned
        ("/foo", "foo", True),
        ("./foo/", "foo/x", True),
        # * and ? never cross a slash
        ("*.md", "README.md", True),
        ("*.md", "docs/x.md", False),
        ("*/*.md", "docs/x.md", True),
        ("?.txt", "a.txt", True),
        ("?.txt", "ab.txt", False),
        # ** spans directories, zero included
        ("**/*.md", "x.md", True),
        ("**/*.md", "a/b/c.md", True),
        ("docs/**", "docs/a/b", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("**", "anything/at/all", True),
        # patternmatcher's suffix fast path: "**foo" is a plain suffix test
        ("**foo", "barfoo", True),
        # character classes, negation with ^
        ("[ab].txt", "a.txt", True),
        ("[^ab].txt", "a.txt", False),
        ("[^ab].txt", "c.txt", True),
        # escapes and regex characters that are literal in filepath.Match
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("a+b(1).txt", "a+b(1).txt", True),
        ("a.b", "axb", False),
        # comments only in column one
        ("# foo", "# foo", False),
        (" # foo", "# foo", True),
        # last match wins; ! re-includes
        ("*.log\n!keep.log", "keep.log", False),
        ("*.log\n!keep.log", "drop.log", True),
        ("!keep.log\n*.log", "keep.log", True),
        ("build\n!build/keep", "build/keep", False),
        ("build\n!build/keep", "build/keep/deep", False),
        ("build\n!build/keep", "build/other", True),
        # whitespace around a line is trimmed
        ("  foo  \n", "foo", True),
    ],
)
def test_docker_semantics(patterns: str, path: str, expected: bool) -> None:
    assert excluded(patterns, path) is expected


def test_clean_pattern() -> None:
    assert clean_pattern("/a/../b/") == "b"
    assert clean_pattern("//x") == "x"
    assert clean_pattern("./") == "."


def test_empty_exception_is_an_error() -> None:
    with pytest.raises(InvalidInput):
        DockerIgnore.from_text("!")


def test_bad_class_is_an_error() -> None:
    with pytest.raises(InvalidInput):
        DockerIgnore.from_text("[a")


def test_scoped_matching_agrees_with_full_paths() -> None:
    ignore = DockerIgnore.from_text("node_modules\n**/*.pyc\n!keep/**/*.pyc\nsecret*\n")
    paths = ["node_modules/x", "a/b.pyc", "keep/a/b.pyc", "keep/b.py", "secret.txt", "src/secret.txt"]
    for path in paths:
        parent, _, name = path.rpartition("/")
        scope = ignore.root
        for part in filter(None, parent.split("/")):
            scope = ignore.child_scope(scope, part)
        assert ignore.excluded_in(scope, name) == ignore.excluded(path), path
    assert [ignore.excluded(p) for p in paths] == [True, True, False, False, True, False]


def test_no_file_means_nothing_excluded(tmp_path: object) -> None:
    ignore = DockerIgnore.from_text("")
    assert not ignore
    assert not ignore.excluded("anything")
