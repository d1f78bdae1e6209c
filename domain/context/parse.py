"""Parsing the text a user gives into a `ContextUrl`."""

from __future__ import annotations

from domain.context.flavour import ContextKind, HostFlavour
from domain.context.hosts import FIELD, flavour_of_host
from domain.context.model import ContextUrl
from domain.context.repository import parse_repository_url, split_web_url, web_repository
from domain.context.syntax import check_text, split_scheme
from domain.context.web import split_web_path
from domain.errors import InvalidInput


def parse_context_url(text: str) -> ContextUrl:
    """The context a URL names, or `InvalidInput(field="context_url")` saying what is wrong with it.

    Web URLs (https, or http on loopback) may carry a GitHub, GitLab or Gitea page path; the other
    schemes (ssh, scp-like, git, file) name a repository's default branch.
    """
    text = check_text(text)
    scheme = split_scheme(text)
    if scheme is None or scheme[0] not in ("http", "https"):
        repository = parse_repository_url(text)
        return ContextUrl(clone_url=repository.clone_url, kind=ContextKind.DEFAULT_BRANCH, flavour=repository.flavour)
    name, rest = scheme
    authority, path = split_web_url(name, rest)
    segments, form = split_web_path(path, authority.host, flavour_of_host(authority.host))
    repository = web_repository(name, authority, segments)
    flavour = repository.flavour if repository.flavour is not HostFlavour.UNKNOWN else form.flavour
    try:
        return ContextUrl(
            clone_url=repository.clone_url, kind=form.kind, flavour=flavour, ref_segments=form.ref_segments,
            commit=form.commit, number=form.number, path=form.path,
        )
    except ValueError as error:  # pydantic's ValidationError is one; the parts above checked all it checks
        raise InvalidInput(f"{text!r} is not a valid context URL: {error}", field=FIELD) from None

