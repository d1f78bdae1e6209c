"""Rendering a ContextUrl back to the URL a user would open."""

from __future__ import annotations

import pytest

from domain.context import parse_context_url, render_context_url

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(("text", "rendered"), [
    ("https://github.com/o/r", "https://github.com/o/r.git"),
    ("https://github.com/o/r.git/tree/main", "https://github.com/o/r/tree/main"),
    ("https://github.com/o/r/blob/main/a.md", "https://github.com/o/r/tree/main/a.md"),
    ("https://github.com/o/r/tree/feat%2Fx/My%20Docs", "https://github.com/o/r/tree/feat/x/My%20Docs"),
    ("https://github.com/o/r/tree/café", "https://github.com/o/r/tree/caf%C3%A9"),
    ("https://github.com/o/r/tree/a%3Fb%23c%25d", "https://github.com/o/r/tree/a%3Fb%23c%25d"),
    ("https://github.com/o/r/tree/v1+x@y", "https://github.com/o/r/tree/v1+x@y"),
    (f"https://github.com/o/r/commit/{SHA.upper()}", f"https://github.com/o/r/commit/{SHA}"),
    ("https://github.com/o/r/pull/3/files", "https://github.com/o/r/pull/3"),
    ("https://gitlab.com/g/s/r/-/blob/main/x", "https://gitlab.com/g/s/r/-/tree/main/x"),
    ("https://gitlab.com/g/s/r/-/merge_requests/3", "https://gitlab.com/g/s/r/-/merge_requests/3"),
    (f"https://gitlab.com/g/r/-/commit/{SHA}", f"https://gitlab.com/g/r/-/commit/{SHA}"),
    ("https://gitea.com/o/r/src/tag/v1", "https://gitea.com/o/r/src/branch/v1"),
    (f"https://gitea.com/o/r/commit/{SHA}", f"https://gitea.com/o/r/src/commit/{SHA}"),
    (f"https://gitea.com/o/r/src/commit/{SHA}/a%20b/c", f"https://gitea.com/o/r/src/commit/{SHA}/a%20b/c"),
    ("https://gitea.com/o/r/pulls/9", "https://gitea.com/o/r/pulls/9"),
    ("http://127.0.0.1:80/o/r.git/tree/main", "http://127.0.0.1/o/r.git/tree/main"),
    ("http://localhost:8080/o/r/commit/abcdef0", "http://localhost:8080/o/r/commit/abcdef0"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("file://localhost/srv/r.git", "file:///srv/r.git"),
])
def test_renders(text: str, rendered: str) -> None:
    url = parse_context_url(text)
    assert render_context_url(url) == rendered
    assert parse_context_url(rendered) == url
