"""How libgit2's messages map to typed errors, for the answers the test servers cannot give
(the real-server tests cover 404, 401, 500, refused connections, timeouts and git daemon's refusal)."""

from __future__ import annotations

import pygit2
import pytest

from domain.errors import BerthError, Unavailable
from infra.git import GitFailed, RepositoryNotFound
from infra.git.failures import classify
from infra.git.progress import FetchProgress, Throttle


@pytest.mark.parametrize(("error", "expected"), [
    (pygit2.GitError("unexpected http status code: 429"), Unavailable),
    (pygit2.GitError("unexpected http status code: 503"), Unavailable),
    (pygit2.GitError("unexpected http status code: 403"), RepositoryNotFound),
    (pygit2.GitError("failed to resolve address for nowhere.invalid: Name or service not known"), Unavailable),
    (pygit2.GitError("ERROR: Repository not found."), RepositoryNotFound),
    (pygit2.AuthError("authentication required but no callback set"), RepositoryNotFound),
    (pygit2.CertificateError("the SSL certificate is invalid"), GitFailed),
    (pygit2.GitError("something nobody expected"), GitFailed),
])
def test_classification(error: pygit2.GitError, expected: type[BerthError]) -> None:
    typed = classify(error, "https://git.example/o/r")
    assert type(typed) is expected
    assert str(error) in str(typed) and "https://git.example/o/r" in str(typed)


def test_progress_is_throttled_but_the_first_and_last_reports_pass() -> None:
    throttle = Throttle(interval=3600)
    reports = [FetchProgress(received, received, 10, received * 100) for received in range(11)]
    assert [report for report in reports if throttle.admit(report)] == [reports[0], reports[-1]]
    assert not throttle.admit(reports[-1])
