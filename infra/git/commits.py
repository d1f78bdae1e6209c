"""Finding a commit on a remote by its sha: cheaply where the server allows, by its history otherwise."""

from __future__ import annotations

import pygit2

from domain.errors import InvalidInput
from infra.git.errors import CommitNotFound
from infra.git.remote import FetchOutcome, RemoteRefs, RemoteSession


def verify_commit(session: RemoteSession, refs: RemoteRefs, sha: str) -> tuple[str, bool]:
    """`(full sha, verified)` of a full or abbreviated sha the user gave.

    A full sha is confirmed by the advertised refs, the cache, or a shallow fetch of just that
    commit; a server that allows no fetch by sha leaves it unconfirmed (`verified` False) rather
    than costing a fetch of the whole history. An abbreviated sha can only be expanded against
    all the objects (another one may share its prefix), so it costs that fetch.
    """
    if len(sha) == 40:
        if sha in refs.commits.values() or session.local_commit(sha) is not None:
            return sha, True
        outcome = session.fetch_object(sha)
        if outcome is FetchOutcome.UNSUPPORTED:
            return sha, False
        if outcome is FetchOutcome.FETCHED:
            return str(_require(session, sha).id), True
        if outcome is FetchOutcome.REFUSED:
            raise CommitNotFound(session.clone_url, sha, "the server does not have it")
    session.fetch_history()
    return str(_require(session, sha, from_history=True).id), True


def fetch_commit(session: RemoteSession, sha: str) -> pygit2.Commit:
    """The commit with this full sha, fetched into the cache if it is not there yet."""
    found = session.local_commit(sha)
    if found is not None:
        return found
    outcome = session.fetch_object(sha)
    if outcome is FetchOutcome.FETCHED:
        return _require(session, sha)
    if outcome is FetchOutcome.REFUSED:
        raise CommitNotFound(session.clone_url, sha, "the server does not have it")
    session.fetch_history()
    return _require(session, sha, from_history=True)


def _require(session: RemoteSession, sha: str, *, from_history: bool = False) -> pygit2.Commit:
    found = _lookup(session, sha)
    if found is None:
        reason = "no branch or tag reaches it" if from_history else "the fetched object is not a commit"
        raise CommitNotFound(session.clone_url, sha, reason)
    return found


def _lookup(session: RemoteSession, sha: str) -> pygit2.Commit | None:
    try:
        return session.local_commit(sha)
    except pygit2.AmbiguousError:
        raise InvalidInput(f"the abbreviated sha {sha} names several objects in {session.clone_url}; give more digits",
                           field="context_url") from None
