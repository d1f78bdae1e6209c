"""Bad context URLs: each is an InvalidInput on the field `context_url` whose message says what is wrong."""

from __future__ import annotations

import pytest

from domain.context import parse_context_url
from domain.errors import InvalidInput

SHA = "0123456789abcdef0123456789abcdef01234567"

BAD: list[tuple[str, str]] = [
    ("", "the context URL is empty"),
    ("   \t", "the context URL is empty"),
    ("https://github.com/o/my repo", "contains whitespace at position 24; encode spaces as %20"),
    ("https://github.com/o/r\x00", "non-printable character"),
    ("ftp://example.com/o/r", "unsupported scheme 'ftp'"),
    ("svn+ssh://example.com/o/r", "unsupported scheme 'svn+ssh'"),
    ("github.com/o/r", "is not a repository URL; use https://"),
    ("https:/github.com/o/r", "is not a repository URL"),
    ("/srv/git/r.git", "is not a repository URL"),
    ("http://example.com/o/r", "plain http:// is only accepted for loopback hosts"),
    ("https://github.com", "names no repository"),
    ("https://github.com/", "names no repository"),
    ("https://github.com/o", "https://github.com/o names no repository: expected https://github.com/<owner>/<repo>"),
    ("https://github.com/o/.git", "empty repository name"),
    ("https://gitlab.com/g", "names no repository"),
    ("https://user@github.com/o/r", "contains a user name; context URLs must not carry credentials"),
    ("https://user:token@github.com/o/r", "contains a password"),
    ("ssh://git:secret@host.example/o/r", "contains a password"),
    ("git://me@host.example/o/r", "git:// URLs have no user name"),
    ("https://exa_mple..com/o/r", "is not a valid host name"),
    ("https://-bad.example/o/r", "is not a valid host name"),
    ("https:///o/r", "the URL names no host"),
    ("https://[::1/o/r", "unclosed '['"),
    ("https://[nope]/o/r", "is not an IPv6 address"),
    ("https://999.1.1.1/o/r", "is not an IPv4 address"),
    ("https://github.com:0/o/r", "'0' is not a port number"),
    ("https://github.com:70000/o/r", "'70000' is not a port number"),
    ("https://github.com:/o/r", "'' is not a port number"),
    ("https://github.com:https/o/r", "'https' is not a port number"),
    ("https://github.com/o/r<x>", "invalid character '<'"),
    ("https://github.com/o/%zz", "malformed percent-escape '%zz'"),
    ("https://host.example/o/../r", "must not contain '..' segments"),
    ("https://github.com/o/r/tree/", "/tree/ needs a branch name after it"),
    ("https://github.com/o/r/tree/main/../../etc", "must not contain '..' segments"),
    ("https://github.com/o/r/tree/main%2F..%2Fx", "must not contain '..' segments"),
    ("https://github.com/o/r/tree/%0a", "contains a control character"),
    ("https://github.com/o/r/tree/%ff", "is not UTF-8 once unescaped"),
    ("https://github.com/o/r/commit/", "/commit/ needs a commit sha after it"),
    ("https://github.com/o/r/commit/xyz1234", "'xyz1234' is not a commit sha: expected 7 to 40 hex digits"),
    ("https://github.com/o/r/commit/abc12", "'abc12' is not a commit sha"),
    (f"https://github.com/o/r/commit/{SHA}0", "is not a commit sha"),
    (f"https://github.com/o/r/commit/{SHA}/extra", "unexpected /extra after the commit sha"),
    ("https://github.com/o/r/pull/abc", "the pull request number must be a positive integer, got 'abc'"),
    ("https://github.com/o/r/pull/0", "must be a positive integer, got '0'"),
    ("https://github.com/o/r/pull/-1", "must be a positive integer"),
    ("https://github.com/o/r/pull/99999999999", "must be a positive integer"),
    ("https://github.com/o/r/pull/" + "1" * 5000, "must be a positive integer"),
    ("https://github.com/o/r/pull", "/pull/ needs a pull request number"),
    ("https://gitlab.com/g/r/-/merge_requests/x", "the merge request number must be a positive integer, got 'x'"),
    ("https://gitea.com/o/r/pulls/x", "the pull request number must be a positive integer"),
    ("https://github.com/o/r/issues/1", "unsupported github.com path /issues/1; supported: /tree/<branch>"),
    ("https://github.com/o/r/-/merge_requests/1", "/-/merge_requests/1 is a gitlab URL form, but github.com is a "
                                                  "github host"),
    ("https://github.com/o/r/src/branch/main", "is a gitea URL form, but github.com is a github host"),
    ("https://gitlab.com/g/r/tree/main", "GitLab URLs put /-/ before /tree/: use /-/tree/main"),
    ("https://gitlab.com/g/r/-/issues/1", "unsupported GitLab path /-/issues/1"),
    ("https://gitlab.com/g/r/-/pull/1", "unsupported GitLab path"),
    ("https://gitea.com/o/r/tree/main", "is a github URL form, but gitea.com is a gitea host"),
    ("https://gitea.com/o/r/src/raw/main", "unsupported Gitea path /src/raw/main"),
    ("https://gitea.com/o/r/src/commit", "/src/commit/ needs a commit sha"),
    ("https://host.example/o/r/src/branch", "/src/branch/ needs a branch name"),
    ("https://host.example/o/r/-", "unsupported GitLab path"),
    ("git@github.com:", "names no repository: the path is missing"),
    ("git@github.com:o/r?x", "invalid character '?'"),
    ("ssh://host.example", "names no repository"),
    ("git://host.example/", "names no repository"),
    ("file:///", "names no repository"),
    ("file://server/share/r.git", "is not a local path: file URLs are file:///<absolute path>"),
    ("file:relative/r.git", "is not a repository URL"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[repr(text)[:60] for text, _ in BAD])
def test_bad_input_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_context_url(text)
    assert message in str(caught.value)
    assert caught.value.field == "context_url"
