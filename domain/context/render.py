"""Rendering a `ContextUrl` back to the URL a user would open: the inverse of `parse_context_url`."""

from __future__ import annotations

from domain.context.flavour import ContextKind, HostFlavour
from domain.context.hosts import KNOWN_HOSTS
from domain.context.model import ContextUrl
from domain.context.repository import parse_repository_url
from domain.context.syntax import encode_segment


def render_context_url(context: ContextUrl) -> str:
    if context.kind is ContextKind.DEFAULT_BRANCH:
        return context.clone_url
    base = context.clone_url
    if parse_repository_url(base).host in KNOWN_HOSTS:
        base = base.removesuffix(".git")  # the web pages of these hosts have no `.git` in their paths
    return base + _form(context)


def _form(context: ContextUrl) -> str:
    flavour = context.flavour
    match context.kind:
        case ContextKind.TREE:
            keyword = {HostFlavour.GITLAB: "/-/tree/", HostFlavour.GITEA: "/src/branch/"}.get(flavour, "/tree/")
            return keyword + _path(context.ref_segments)
        case ContextKind.COMMIT:
            if flavour is HostFlavour.GITEA:
                path = f"/{_path(tuple(context.path.split('/')))}" if context.path else ""
                return f"/src/commit/{context.commit}{path}"
            return f"{'/-' if flavour is HostFlavour.GITLAB else ''}/commit/{context.commit}"
        case ContextKind.PULL_REQUEST:
            return f"/{'pulls' if flavour is HostFlavour.GITEA else 'pull'}/{context.number}"
        case ContextKind.MERGE_REQUEST:
            return f"/-/merge_requests/{context.number}"
        case ContextKind.DEFAULT_BRANCH:
            return ""


def _path(segments: tuple[str, ...]) -> str:
    return "/".join(encode_segment(segment) for segment in segments)
