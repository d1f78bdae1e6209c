"""`ContextUrl`, what a user starts a workspace from, and `ResolvedContext`, the commit it stands for.

A `ContextUrl` is the parsed form of the text the user gave, nothing more: a branch URL keeps its
raw path segments because `tree/feature/x/docs` may be branch `feature/x` with path `docs` or
branch `feature` with path `x/docs`, which only the remote's refs decide. Every valid
`ContextUrl` renders to a URL that parses back to it (see `render_context_url`).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.context.flavour import ContextKind, HostFlavour
from domain.context.refs import request_ref
from domain.context.repository import parse_repository_url
from domain.context.syntax import check_decoded_segment
from domain.context.web import MAX_NUMBER, form_start
from domain.errors import InvalidInput

_G = HostFlavour
_K = ContextKind
# Which (kind, flavour) pairs a web URL on a host not known by name can spell: the flavour of such
# a URL is the one its form reveals, so e.g. a default-branch URL there is always UNKNOWN.
_FORM_FLAVOURS: dict[ContextKind, frozenset[HostFlavour]] = {
    _K.DEFAULT_BRANCH: frozenset({_G.UNKNOWN}),
    _K.TREE: frozenset({_G.GITHUB, _G.GITLAB, _G.GITEA}),
    _K.COMMIT: frozenset({_G.UNKNOWN, _G.GITLAB, _G.GITEA}),
    _K.PULL_REQUEST: frozenset({_G.GITHUB, _G.GITEA}),
    _K.MERGE_REQUEST: frozenset({_G.GITLAB}),
}
_HOST_KINDS: dict[HostFlavour, frozenset[ContextKind]] = {
    _G.GITHUB: frozenset({_K.DEFAULT_BRANCH, _K.TREE, _K.COMMIT, _K.PULL_REQUEST}),
    _G.GITLAB: frozenset({_K.DEFAULT_BRANCH, _K.TREE, _K.COMMIT, _K.MERGE_REQUEST}),
    _G.GITEA: frozenset({_K.DEFAULT_BRANCH, _K.TREE, _K.COMMIT, _K.PULL_REQUEST}),
}
_FULL_SHA = re.compile(r"[0-9a-f]{40}")


def _check_segments(segments: tuple[str, ...]) -> tuple[str, ...]:
    for segment in segments:
        try:
            check_decoded_segment(segment, "a ref segment")
        except InvalidInput as error:
            raise ValueError(str(error)) from None
    return segments


def _check_path(path: str | None) -> str | None:
    if path is not None:
        _check_segments(tuple(path.split("/")))
    return path


def _check_full_sha(sha: str) -> str:
    if not _FULL_SHA.fullmatch(sha):
        raise ValueError(f"a resolved commit is 40 lowercase hex digits, got {sha!r}")
    return sha


Segments = Annotated[tuple[str, ...], AfterValidator(_check_segments)]
RepoPath = Annotated[str | None, AfterValidator(_check_path)]
"""A path inside the repository: segments joined by `/`, none empty, `.` or `..`; None for the root."""


class ContextUrl(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clone_url: str
    """The repository, canonical (see `domain.context.repository`): what git fetches from."""
    kind: ContextKind
    flavour: HostFlavour
    ref_segments: Segments = ()
    """TREE only: the branch (or tag) name and the path after it, split at every `/`, decoded."""
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")
    """COMMIT only: a full or abbreviated sha, lowercase."""
    number: int | None = Field(default=None, ge=1, le=MAX_NUMBER)
    """PULL_REQUEST / MERGE_REQUEST only."""
    path: RepoPath = None
    """COMMIT only (Gitea's `/src/commit/<sha>/<path>`); a TREE's path is part of `ref_segments`."""

    @model_validator(mode="after")
    def _consistent(self) -> ContextUrl:
        expected = {
            "ref_segments": self.kind is _K.TREE,
            "commit": self.kind is _K.COMMIT,
            "number": self.kind in (_K.PULL_REQUEST, _K.MERGE_REQUEST),
        }
        for name, wanted in expected.items():
            if bool(getattr(self, name)) != wanted:
                raise ValueError(f"a {self.kind.value} context {'needs' if wanted else 'has no'} {name}")
        if self.path is not None and (self.kind is not _K.COMMIT or self.flavour is not _G.GITEA):
            raise ValueError("only a Gitea commit context (/src/commit/<sha>/<path>) carries a path")
        try:
            repository = parse_repository_url(self.clone_url)
        except InvalidInput as error:
            raise ValueError(f"clone_url: {error}") from None
        if repository.clone_url != self.clone_url:
            raise ValueError(f"clone_url is not canonical: {repository.clone_url!r} is")
        if not repository.web:
            if self.kind is not _K.DEFAULT_BRANCH or self.flavour is not repository.flavour:
                raise ValueError("a non-web repository URL names only the default branch of its repository")
        elif repository.flavour is not _G.UNKNOWN:
            if self.flavour is not repository.flavour or self.kind not in _HOST_KINDS[self.flavour]:
                raise ValueError(f"{repository.host} is a {repository.flavour.value} host: no {self.kind.value} "
                                 f"context of flavour {self.flavour.value}")
        else:
            if self.flavour not in _FORM_FLAVOURS[self.kind]:
                raise ValueError(f"no {self.flavour.value} URL form spells a {self.kind.value} context")
            if form_start(list(repository.segments), repository.flavour) is not None:
                raise ValueError("the repository path contains a web form keyword (tree, -, src, ...)")
            # On such hosts a form keyword counts only after two segments (GitLab's `-` after one).
            shortest = 1 if self.kind is _K.DEFAULT_BRANCH or self.flavour is _G.GITLAB else 2
            if len(repository.segments) < shortest:
                raise ValueError(f"a {self.kind.value} URL of this form needs a repository path of at least "
                                 f"{shortest} segments on {repository.host}")
        return self

    @property
    def ref_hint(self) -> str:
        """What the remote is asked for: `HEAD`, the raw `branch/path`, a sha, or the request's ref."""
        match self.kind:
            case _K.DEFAULT_BRANCH:
                return "HEAD"
            case _K.TREE:
                return "/".join(self.ref_segments)
            case _K.COMMIT:
                assert self.commit is not None
                return self.commit
            case _K.PULL_REQUEST | _K.MERGE_REQUEST:
                assert self.number is not None
                return request_ref(self.kind, self.number)


class ResolvedContext(BaseModel):
    """A context URL resolved against the remote: the one commit a workspace starts from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clone_url: str
    ref: str | None
    """The full ref the commit was found at (`refs/heads/feature/x`, `refs/pull/1/head`); None for a sha."""
    commit: Annotated[str, AfterValidator(_check_full_sha)]
    path: RepoPath = None
    """Where in the repository the URL pointed (a folder or file), None for the root."""
    commit_verified: bool = True
    """False when a full sha was accepted without the server confirming it has the commit."""
