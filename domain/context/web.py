"""The web page forms of a context URL: `/tree/<branch>`, `/-/merge_requests/<n>`, `/src/commit/<sha>`, ...

A web URL is a repository path followed, optionally, by one of these forms. Where the repository
path ends is fixed for github.com and gitea.com (`<owner>/<repo>`), marked by `/-/` on GitLab
(whose groups nest), and for any other host found at the first form keyword after at least two
segments (one for `-`), so self-hosted servers under a sub-path work too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.context.flavour import ContextKind, HostFlavour
from domain.context.hosts import FIELD
from domain.context.syntax import decode_segments
from domain.errors import InvalidInput

MAX_NUMBER = 2**31 - 1
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_NUMBER = re.compile(r"[0-9]+")
_FORM_KEYWORDS = frozenset({"tree", "blob", "commit", "pull", "pulls", "src"})
_GITLAB_KEYWORDS = frozenset({"tree", "blob", "commit", "merge_requests"})
SUPPORTED_FORMS = {
    HostFlavour.GITHUB: "/tree/<branch>[/<path>], /blob/<branch>/<path>, /commit/<sha> or /pull/<number>",
    HostFlavour.GITLAB: "/-/tree/<branch>[/<path>], /-/blob/<branch>/<path>, /-/commit/<sha> or "
                        "/-/merge_requests/<number>",
    HostFlavour.GITEA: "/src/branch/<branch>[/<path>], /src/tag/<tag>, /src/commit/<sha>[/<path>], /commit/<sha> "
                       "or /pulls/<number>",
}


@dataclass(frozen=True)
class WebForm:
    """What follows the repository path; `flavour` is the one the form reveals (UNKNOWN for `/commit/`)."""

    kind: ContextKind
    flavour: HostFlavour
    ref_segments: tuple[str, ...] = ()
    commit: str | None = None
    number: int | None = None
    path: str | None = None


DEFAULT_BRANCH = WebForm(ContextKind.DEFAULT_BRANCH, HostFlavour.UNKNOWN)


def split_web_path(segments: list[str], host: str, host_flavour: HostFlavour) -> tuple[list[str], WebForm]:
    """`(repository segments, form)` of a web URL's raw path segments."""
    start = form_start(segments, host_flavour)
    if start is None:
        return segments, DEFAULT_BRANCH
    form = _parse_form(segments[start:], host, host_flavour)
    if host_flavour is not HostFlavour.UNKNOWN and form.flavour not in (host_flavour, HostFlavour.UNKNOWN):
        raise InvalidInput(
            f"/{'/'.join(segments[start:])} is a {form.flavour.value} URL form, but {host} is a "
            f"{host_flavour.value} host; it supports {SUPPORTED_FORMS[host_flavour]}", field=FIELD)
    return segments[:start], form


def form_start(segments: list[str], host_flavour: HostFlavour) -> int | None:
    """Where the form begins in a web URL's path, None when the whole path is the repository's."""
    if host_flavour in (HostFlavour.GITHUB, HostFlavour.GITEA):
        return 2 if len(segments) > 2 else None
    if host_flavour is HostFlavour.GITLAB:
        for index, segment in enumerate(segments[2:], start=2):
            if segment == "-":
                return index
            if segment in _GITLAB_KEYWORDS:
                raise InvalidInput(f"GitLab URLs put /-/ before /{segment}/: use /-/{'/'.join(segments[index:])}",
                                   field=FIELD)
        return None
    for index, segment in enumerate(segments):
        if (index >= 1 and segment == "-") or (index >= 2 and segment in _FORM_KEYWORDS):
            return index
    return None


def _parse_form(form: list[str], host: str, host_flavour: HostFlavour) -> WebForm:
    keyword, rest = form[0], form[1:]
    if keyword == "-":
        return _gitlab_form(rest, host)
    if keyword in ("tree", "blob"):
        return WebForm(ContextKind.TREE, HostFlavour.GITHUB, ref_segments=_ref_segments(rest, keyword))
    if keyword == "pull":
        return WebForm(ContextKind.PULL_REQUEST, HostFlavour.GITHUB, number=_number(rest, "/pull/"))
    if keyword == "commit":
        return WebForm(ContextKind.COMMIT, HostFlavour.UNKNOWN, commit=_sha_alone(rest, "/commit/"))
    if keyword == "src":
        return _gitea_src(rest)
    if keyword == "pulls":
        return WebForm(ContextKind.PULL_REQUEST, HostFlavour.GITEA, number=_number(rest, "/pulls/"))
    raise InvalidInput(f"unsupported {host} path /{'/'.join(form)}; supported: {SUPPORTED_FORMS[host_flavour]}",
                       field=FIELD)


def _gitlab_form(rest: list[str], host: str) -> WebForm:
    keyword = rest[0] if rest else ""
    if keyword in ("tree", "blob"):
        return WebForm(ContextKind.TREE, HostFlavour.GITLAB, ref_segments=_ref_segments(rest[1:], f"-/{keyword}"))
    if keyword == "commit":
        return WebForm(ContextKind.COMMIT, HostFlavour.GITLAB, commit=_sha_alone(rest[1:], "/-/commit/"))
    if keyword == "merge_requests":
        return WebForm(ContextKind.MERGE_REQUEST, HostFlavour.GITLAB, number=_number(rest[1:], "/-/merge_requests/"))
    raise InvalidInput(f"unsupported GitLab path /-/{'/'.join(rest)} on {host}; supported: "
                       f"{SUPPORTED_FORMS[HostFlavour.GITLAB]}", field=FIELD)


def _gitea_src(rest: list[str]) -> WebForm:
    keyword = rest[0] if rest else ""
    if keyword in ("branch", "tag"):
        return WebForm(ContextKind.TREE, HostFlavour.GITEA, ref_segments=_ref_segments(rest[1:], f"src/{keyword}"))
    if keyword == "commit":
        if len(rest) < 2:
            raise InvalidInput("/src/commit/ needs a commit sha after it", field=FIELD)
        path = decode_segments(rest[2:], "the path") if len(rest) > 2 else ()
        return WebForm(ContextKind.COMMIT, HostFlavour.GITEA, commit=parse_sha(rest[1]), path="/".join(path) or None)
    raise InvalidInput(f"unsupported Gitea path /src/{'/'.join(rest)}; supported: {SUPPORTED_FORMS[HostFlavour.GITEA]}",
                       field=FIELD)


def _ref_segments(rest: list[str], keyword: str) -> tuple[str, ...]:
    segments = decode_segments(rest, "the branch and path")
    if not segments:
        raise InvalidInput(f"/{keyword}/ needs a branch name after it", field=FIELD)
    return segments


def _sha_alone(rest: list[str], keyword: str) -> str:
    if not rest:
        raise InvalidInput(f"{keyword} needs a commit sha after it", field=FIELD)
    if len(rest) > 1:
        raise InvalidInput(f"unexpected /{'/'.join(rest[1:])} after the commit sha in {keyword}", field=FIELD)
    return parse_sha(rest[0])


def _number(rest: list[str], keyword: str) -> int:
    # Anything after the number (`/files`, `/diffs`) is a tab of the same request's page.
    noun = "merge request" if "merge" in keyword else "pull request"
    if not rest:
        raise InvalidInput(f"{keyword} needs a {noun} number after it", field=FIELD)
    return parse_number(rest[0], noun)


def parse_sha(text: str) -> str:
    if not _SHA.fullmatch(text):
        raise InvalidInput(f"{text!r} is not a commit sha: expected 7 to 40 hex digits", field=FIELD)
    return text.lower()


def parse_number(text: str, noun: str) -> int:
    if not _NUMBER.fullmatch(text) or len(text) > len(str(MAX_NUMBER)) or not 0 < int(text) <= MAX_NUMBER:
        raise InvalidInput(f"the {noun} number must be a positive integer, got {text!r}", field=FIELD)
    return int(text)
