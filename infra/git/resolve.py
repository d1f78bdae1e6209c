"""Resolving a `ContextUrl` against its real remote: which commit a workspace starts from."""

from __future__ import annotations

from domain.context import ContextKind, ContextUrl, ResolvedContext, closest_names, match_tree_ref, request_ref
from domain.context.refs import sha_prefix
from infra.git.bounded import Job, run_bounded
from infra.git.cache import GitCache
from infra.git.commits import verify_commit
from infra.git.errors import CommitNotFound, RefNotFound, RequestNotFound
from infra.git.progress import ProgressCallback
from infra.git.remote import RemoteRefs, RemoteSession
from infra.git.timeouts import apply_network_timeouts


async def resolve_context(url: ContextUrl, timeout: float = 20, *, cache: GitCache | None = None,
                          progress: ProgressCallback | None = None) -> ResolvedContext:
    """The commit `url` stands for on its remote, asked over the network now.

    Raises `RepositoryNotFound`, `RefNotFound`, `CommitNotFound`, `RequestNotFound` (all permanent
    and `NotFound`), `InvalidInput` for an ambiguous abbreviated sha, or `Unavailable` when the
    remote cannot be reached or `timeout` seconds pass. Only an abbreviated sha (or a full one the
    server hides) costs a fetch, whose progress goes to `progress`.
    """
    apply_network_timeouts()
    chosen = cache if cache is not None else GitCache()

    def work(job: Job) -> ResolvedContext:
        with chosen.repository(url.clone_url, job) as repo:
            return _resolve(url, RemoteSession(repo, url.clone_url, job))

    return await run_bounded(work, timeout=timeout, progress=progress,
                             describe=f"resolving {url.ref_hint} of {url.clone_url}")


def _resolve(url: ContextUrl, session: RemoteSession) -> ResolvedContext:
    refs = session.list_refs()
    match url.kind:
        case ContextKind.DEFAULT_BRANCH:
            return _default_branch(url, refs)
        case ContextKind.TREE:
            return _tree(url, refs, session)
        case ContextKind.COMMIT:
            assert url.commit is not None
            return _commit(url, url.commit, url.path, refs, session)
        case ContextKind.PULL_REQUEST | ContextKind.MERGE_REQUEST:
            return _request(url, refs)


def _default_branch(url: ContextUrl, refs: RemoteRefs) -> ResolvedContext:
    if refs.head is None:
        # Servers do not advertise a HEAD that names a branch without commits (an unborn one).
        detail = "it is empty" if not refs.commits else "its HEAD names no existing branch"
        branches = ", ".join(refs.branches) or "none"
        raise RefNotFound(url.clone_url, "HEAD", refs.branches,
                          f"{url.clone_url} has no default branch: {detail}; branches: {branches}")
    return ResolvedContext(clone_url=url.clone_url, ref=refs.default_branch(), commit=refs.head)


def _tree(url: ContextUrl, refs: RemoteRefs, session: RemoteSession) -> ResolvedContext:
    match = match_tree_ref(url.ref_segments, refs.commits.keys())
    if match is not None:
        return ResolvedContext(clone_url=url.clone_url, ref=match.ref, commit=refs.commits[match.ref], path=match.path)
    wanted = "/".join(url.ref_segments)
    suggestions = closest_names(wanted, refs.branches)
    sha = sha_prefix(url.ref_segments[0])
    if sha is None:
        raise RefNotFound(url.clone_url, wanted, suggestions)
    try:  # GitHub's /tree/<sha>/<path>
        return _commit(url, sha, "/".join(url.ref_segments[1:]) or None, refs, session)
    except CommitNotFound:
        message = (f"no branch, tag or commit {url.ref_segments[0]!r} in {url.clone_url}; "
                   f"branches include: {', '.join(suggestions) or 'none'}")
        raise RefNotFound(url.clone_url, wanted, suggestions, message) from None


def _commit(url: ContextUrl, sha: str, path: str | None, refs: RemoteRefs, session: RemoteSession) -> ResolvedContext:
    full, verified = verify_commit(session, refs, sha)
    return ResolvedContext(clone_url=url.clone_url, ref=None, commit=full, path=path, commit_verified=verified)


def _request(url: ContextUrl, refs: RemoteRefs) -> ResolvedContext:
    assert url.number is not None
    ref = request_ref(url.kind, url.number)
    if ref not in refs.commits:
        noun = "merge request" if url.kind is ContextKind.MERGE_REQUEST else "pull request"
        raise RequestNotFound(url.clone_url, noun, url.number, ref)
    return ResolvedContext(clone_url=url.clone_url, ref=ref, commit=refs.commits[ref])

