"""Context URLs: what a workspace starts from (a repository, optionally a branch, commit or request).

Pure: `parse_context_url` turns text into a `ContextUrl` or raises `InvalidInput(field="context_url")`;
`render_context_url` is its inverse; `match_tree_ref` and friends decide, from a remote's ref names,
which branch a `/tree/...` URL meant. Talking to the remote is `infra.git`'s job.
"""

from domain.context.flavour import ContextKind, HostFlavour
from domain.context.model import ContextUrl, ResolvedContext
from domain.context.parse import parse_context_url
from domain.context.refs import RefMatch, closest_names, match_tree_ref, request_ref, sha_prefix
from domain.context.render import render_context_url

__all__ = [
    "ContextKind",
    "ContextUrl",
    "HostFlavour",
    "RefMatch",
    "ResolvedContext",
    "closest_names",
    "match_tree_ref",
    "parse_context_url",
    "render_context_url",
    "request_ref",
    "sha_prefix",
]
