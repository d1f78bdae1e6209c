"""Hypothesis strategies: valid ContextUrls of every scheme, kind and flavour, and URL-shaped junk."""

from __future__ import annotations

from hypothesis import strategies as st

from domain.context import ContextKind, ContextUrl, HostFlavour
from domain.context.hosts import KNOWN_HOSTS
from domain.context.repository import parse_repository_url

K, F = ContextKind, HostFlavour
_KEYWORDS = {"-", "tree", "blob", "commit", "pull", "pulls", "src"}

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
dns_hosts = st.lists(_label, min_size=1, max_size=3).map(".".join).filter(
    lambda host: host not in KNOWN_HOSTS and not host.replace(".", "").isdigit())  # digits only would be an IPv4
loopback_hosts = st.sampled_from(["localhost", "127.0.0.1", "127.8.9.10", "[::1]", "dev.localhost"])
_ports = st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}"))
raw_segments = st.from_regex(r"([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2}){1,10}", fullmatch=True).filter(
    lambda segment: segment not in {".", ".."} | _KEYWORDS)
"""Repository path segments as they appear in a URL (never a form keyword)."""
names = st.text(st.characters(categories=("L", "M", "N", "P", "S"), exclude_characters="/") | st.just(" "),
                min_size=1, max_size=8).filter(lambda name: name not in (".", ".."))
"""Decoded segments of branch names and paths: any printable text without `/`."""
shas = st.from_regex(r"[0-9a-f]{7,40}", fullmatch=True)
numbers = st.integers(1, 2**31 - 1)


@st.composite
def web_repositories(draw: st.DrawFn) -> tuple[str, HostFlavour, int]:
    """`(clone URL, host flavour, number of path segments)` of an http(s) repository."""
    known = draw(st.sampled_from([None, *KNOWN_HOSTS]))
    if known is not None:
        count = draw(st.integers(2, 4)) if KNOWN_HOSTS[known] is F.GITLAB else 2
        scheme, host = "https", known
    else:
        count = draw(st.integers(1, 4))
        scheme = draw(st.sampled_from(["https", "http"]))
        host = draw(loopback_hosts if scheme == "http" else dns_hosts | loopback_hosts)
    path = "/".join(draw(st.lists(raw_segments, min_size=count, max_size=count)))
    repository = parse_repository_url(f"{scheme}://{host}{draw(_ports)}/{path}")
    return repository.clone_url, repository.flavour, count


@st.composite
def other_repositories(draw: st.DrawFn) -> tuple[str, HostFlavour]:
    """`(clone URL, host flavour)` of an ssh, scp-like, git or file repository."""
    host = draw(dns_hosts | loopback_hosts | st.sampled_from(list(KNOWN_HOSTS)))
    path = "/".join(draw(st.lists(raw_segments, min_size=1, max_size=4)))
    user = draw(st.sampled_from(["", "git@", "deploy@"]))
    text = draw(st.sampled_from([
        f"ssh://{user}{host}{draw(_ports)}/{path}",
        f"{user or 'git@'}{host}:{draw(st.sampled_from(['', '/']))}{path}",
        f"git://{host}{draw(_ports)}/{path}",
        f"file:///{path}",
    ]))
    repository = parse_repository_url(text)
    return repository.clone_url, repository.flavour


_KINDS_OF_HOST = {
    F.GITHUB: [(K.DEFAULT_BRANCH, F.GITHUB), (K.TREE, F.GITHUB), (K.COMMIT, F.GITHUB), (K.PULL_REQUEST, F.GITHUB)],
    F.GITLAB: [(K.DEFAULT_BRANCH, F.GITLAB), (K.TREE, F.GITLAB), (K.COMMIT, F.GITLAB), (K.MERGE_REQUEST, F.GITLAB)],
    F.GITEA: [(K.DEFAULT_BRANCH, F.GITEA), (K.TREE, F.GITEA), (K.COMMIT, F.GITEA), (K.PULL_REQUEST, F.GITEA)],
    F.UNKNOWN: [(K.DEFAULT_BRANCH, F.UNKNOWN), (K.TREE, F.GITHUB), (K.TREE, F.GITLAB), (K.TREE, F.GITEA),
                (K.COMMIT, F.UNKNOWN), (K.COMMIT, F.GITLAB), (K.COMMIT, F.GITEA), (K.PULL_REQUEST, F.GITHUB),
                (K.PULL_REQUEST, F.GITEA), (K.MERGE_REQUEST, F.GITLAB)],
}


@st.composite
def context_urls(draw: st.DrawFn) -> ContextUrl:
    if draw(st.booleans()):
        clone_url, flavour = draw(other_repositories())
        return ContextUrl(clone_url=clone_url, kind=K.DEFAULT_BRANCH, flavour=flavour)
    clone_url, host_flavour, count = draw(web_repositories())
    # Behind a one-segment repository path only GitLab's `/-/` can start a form (see `web.form_start`).
    kinds = [(kind, flavour) for kind, flavour in _KINDS_OF_HOST[host_flavour]
             if count > 1 or kind is K.DEFAULT_BRANCH or flavour is F.GITLAB]
    kind, flavour = draw(st.sampled_from(kinds))
    fields: dict[str, object] = {}
    if kind is K.TREE:
        fields["ref_segments"] = tuple(draw(st.lists(names, min_size=1, max_size=4)))
    elif kind is K.COMMIT:
        fields["commit"] = draw(shas)
        if flavour is F.GITEA:
            fields["path"] = draw(st.none() | st.lists(names, min_size=1, max_size=3).map("/".join))
    elif kind in (K.PULL_REQUEST, K.MERGE_REQUEST):
        fields["number"] = draw(numbers)
    return ContextUrl.model_validate({"clone_url": clone_url, "kind": kind, "flavour": flavour, **fields})


_PREFIXES = [
    "", "https://", "http://", "ssh://", "git://", "file://", "file:///", "ftp://", "git@", "git@host.example:",
    "https://github.com/", "https://github.com/o/r/", "https://gitlab.com/g/r/-/", "https://gitea.com/o/r/src/",
    "http://127.0.0.1:8080/o/r/", "http://[::1]/o/r/", "https://host.example/a/b/c/", "https://[",
]
_URL_CHARACTERS = st.sampled_from([
    *"ab09Z/-._~%:@[]?#+!$&'()*,;= \t\né\x00",
    "tree/", "blob/", "commit/", "pull/", "pulls/", "src/", "-/", "merge_requests/", "branch/", "%2F", "%ff", "..",
])
url_shaped_text = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(_PREFIXES),
    st.lists(_URL_CHARACTERS | st.characters(), max_size=30).map("".join),
)
"""Text that looks enough like a context URL to reach the deeper parts of the parser."""
