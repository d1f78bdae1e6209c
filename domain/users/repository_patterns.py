"""Repository patterns: which of a user's repositories an environment variable applies to.

A pattern is one of three forms, as in Gitpod, from most to least specific:

- `owner/repo`  one repository (`group/sub/repo` for a GitLab project in a subgroup);
- `owner/*`     every repository of an owner (on GitLab: of a top-level group, subgroups included);
- `*/*`         every repository.

A workspace's repository is named by its clone URL's path with a trailing `.git` removed: the owner is the
first segment, the repository the rest (`https://gitlab.com/group/sub/repo.git` is owner `group`, repository
`sub/repo`). The host is not part of the name, as in Gitpod: `acme/*` matches `acme`'s repositories on every
host. Names compare case-insensitively (GitHub, GitLab and Gitea treat `Acme/Widgets` as `acme/widgets`), so
patterns are kept in lowercase. A repository with a one-segment path (`git://host/repo.git`) has no owner:
only `*/*` matches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from domain.context.repository import parse_repository_url
from domain.errors import InvalidInput

FIELD = "repository_pattern"
EVERY_REPOSITORY = "*/*"
WILDCARD = "*"
MAX_PATTERN = 255
# Owner and repository names on GitHub, GitLab and Gitea: letters, digits, `.`, `_` and `-`.
_SEGMENT = re.compile(r"[a-z0-9._-]+")


class Specificity(IntEnum):
    """Higher wins when several patterns of one variable name match a repository."""

    EVERY_REPOSITORY = 0
    OWNER = 1
    REPOSITORY = 2


@dataclass(frozen=True, slots=True)
class RepositoryName:
    """A repository as patterns see it: its path segments, lowercase, without `.git`."""

    segments: tuple[str, ...]

    @property
    def owner(self) -> str | None:
        return self.segments[0] if len(self.segments) >= 2 else None

    def __str__(self) -> str:
        return "/".join(self.segments)


@dataclass(frozen=True, slots=True)
class RepositoryPattern:
    owner: str | None
    """None: any owner (`*/*`)."""
    repository: str | None
    """None: any repository of the owner (`owner/*`); may hold `/` for a subgroup's project."""

    @property
    def text(self) -> str:
        return f"{self.owner or WILDCARD}/{self.repository or WILDCARD}"

    @property
    def specificity(self) -> Specificity:
        if self.owner is None:
            return Specificity.EVERY_REPOSITORY
        return Specificity.OWNER if self.repository is None else Specificity.REPOSITORY

    def matches(self, name: RepositoryName) -> bool:
        if self.owner is None:
            return True
        if name.owner != self.owner:
            return False
        return self.repository is None or "/".join(name.segments[1:]) == self.repository

    def __str__(self) -> str:
        return self.text


def parse_repository_pattern(text: str) -> RepositoryPattern:
    """`owner/repo`, `owner/*` or `*/*` (case-insensitive, surrounding blanks ignored), or InvalidInput naming
    what is wrong."""
    pattern = text.strip().lower()
    if not pattern:
        raise InvalidInput("repository_pattern is empty; use owner/repo, owner/* or */*", field=FIELD)
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"repository_pattern has more than {MAX_PATTERN} characters", field=FIELD)
    segments = pattern.split("/")
    if len(segments) < 2:
        raise InvalidInput(f"repository_pattern {text!r} has no '/': use owner/repo, owner/* or */*", field=FIELD)
    owner, rest = segments[0], segments[1:]
    if owner == WILDCARD:
        if rest != [WILDCARD]:
            raise InvalidInput(f"repository_pattern {text!r}: with any owner ('*/...') the repository must be "
                               "'*' too; use */* for every repository", field=FIELD)
        return RepositoryPattern(None, None)
    _check_segment(owner, "owner", text)
    if rest == [WILDCARD]:
        return RepositoryPattern(owner, None)
    for segment in rest:
        _check_segment(segment, "repository", text)
    return RepositoryPattern(owner, "/".join(rest))


def _check_segment(segment: str, what: str, text: str) -> None:
    if WILDCARD in segment:
        raise InvalidInput(f"repository_pattern {text!r}: '*' stands only for a whole repository ('owner/*') or "
                           "for everything ('*/*'), not inside a name", field=FIELD)
    if not segment:
        raise InvalidInput(f"repository_pattern {text!r} has an empty {what} name", field=FIELD)
    if _SEGMENT.fullmatch(segment) is None or segment in (".", ".."):
        raise InvalidInput(f"repository_pattern {text!r}: {what} name {segment!r} may hold only letters, digits, "
                           "'.', '_' and '-'", field=FIELD)


def repository_name(clone_url: str) -> RepositoryName:
    """The name patterns match for a workspace's (canonical) clone URL. A URL that does not parse names no
    repository, which only `*/*` matches."""
    try:
        segments = list(parse_repository_url(clone_url).segments)
    except InvalidInput:
        return RepositoryName(())
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    return RepositoryName(tuple(segment.lower() for segment in segments if segment))
