from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from infra.images.build_inputs import BuildInputs, clean_context_path, find_build_inputs
from infra.images.dockerfile import parse_dockerfile
from infra.images.spec import ResolvedImage

NAMES = ["berth/base:latest", "golang:1.22", "nginx", "alpine"]
IDS = {name: f"sha256:{i:064x}" for i, name in enumerate(NAMES)}


def resolve(name: str) -> ResolvedImage:
    if name not in IDS:
        raise LookupError(name)
    return ResolvedImage(IDS[name], env={"HOME": "/root"})


def inputs(text: str, **kwargs: object) -> BuildInputs:
    return find_build_inputs(parse_dockerfile(text), resolve=resolve, **kwargs)  # type: ignore[arg-type]


def test_copy_sources_are_cleaned_context_paths() -> None:
    found = inputs("FROM berth/base:latest\nCOPY ./src/ ../../etc/x /abs/y /app/\nADD pkg.tar /opt/\n")
    assert found.context_paths == ("abs/y", "etc/x", "pkg.tar", "src")
    assert found.images == (("berth/base:latest", IDS["berth/base:latest"]),)


def test_clean_context_path() -> None:
    assert clean_context_path(".") == "."
    assert clean_context_path("") == "."
    assert clean_context_path("/") == "."
    assert clean_context_path("a/../../b/") == "b"


def test_multi_stage_and_copy_from() -> None:
    found = inputs(
        "FROM golang:1.22 AS build\n"
        "COPY go.mod go.sum /src/\n"
        "COPY cmd/ /src/cmd/\n"
        "FROM berth/base:latest\n"
        "COPY --from=build /out/app /usr/bin/app\n"
        "COPY --from=0 /etc/passwd /tmp/\n"
        "COPY --from=nginx /etc/nginx /etc/nginx\n"
        "COPY config.yml /etc/app/\n"
    )
    assert found.context_paths == ("cmd", "config.yml", "go.mod", "go.sum")
    assert [ref for ref, _ in found.images] == ["golang:1.22", "berth/base:latest", "nginx"]


def test_from_a_previous_stage_is_not_an_image() -> None:
    found = inputs("FROM alpine AS base\nFROM base\nCOPY a /a\n")
    assert [ref for ref, _ in found.images] == ["alpine"]


def test_target_limits_the_stages() -> None:
    text = "FROM alpine AS dev\nCOPY dev.txt /\nFROM nginx AS prod\nCOPY prod.txt /\n"
    assert inputs(text, target="dev").context_paths == ("dev.txt",)
    assert inputs(text, target="DEV").context_paths == ("dev.txt",)
    assert inputs(text).context_paths == ("dev.txt", "prod.txt")
    with pytest.raises(InvalidInput) as error:
        inputs(text, target="missing")
    assert error.value.field == "target"


def test_arg_and_env_substitution() -> None:
    text = (
        "ARG BASE=alpine\n"
        "ARG APP=default\n"
        "FROM $BASE\n"
        "ARG APP\n"
        "ARG SUB=lib\n"
        "ENV CONF=conf.d\n"
        "COPY ${APP}/ /app/\n"
        "COPY $SUB/${CONF} /etc/\n"
    )
    assert inputs(text).context_paths == ("default", "lib/conf.d")
    found = inputs(text, build_args={"APP": "other", "BASE": "nginx", "SUB": "x"})
    assert found.context_paths == ("other", "x/conf.d")
    assert [ref for ref, _ in found.images] == ["nginx"]


def test_env_overrides_arg() -> None:
    text = "FROM alpine\nARG DIR=from-arg\nENV DIR=from-env\nCOPY $DIR /x\n"
    assert inputs(text, build_args={"DIR": "from-build-arg"}).context_paths == ("from-env",)


def test_base_image_env_is_used() -> None:
    text = "FROM alpine\nCOPY $HOME/x /x\n"
    assert inputs(text).context_paths == ("root/x",)


def test_unknown_variable_with_unknown_base_env_takes_the_whole_context() -> None:
    def resolve_id_only(name: str) -> str:
        return IDS["alpine"]

    dockerfile = parse_dockerfile("FROM alpine\nCOPY $FROM_IMAGE/x /x\n")
    found = find_build_inputs(dockerfile, resolve=resolve_id_only)
    assert found.context_paths == (".",)
    assert found.notes


def test_unsupported_substitution_takes_the_whole_context() -> None:
    found = inputs("FROM alpine\nARG V=1.2\nCOPY app-${V%.*}.tar /x\n")
    assert found.context_paths == (".",)
    assert "whole context" in found.notes[0]


def test_add_urls_are_remote_sources() -> None:
    found = inputs(
        "FROM alpine\n"
        "ADD https://example.com/a.tgz /opt/\n"
        "ADD git@github.com:o/r.git /src\n"
        "ADD local.tgz /x\n"
    )
    assert found.remote_sources == ("https://example.com/a.tgz", "git@github.com:o/r.git")
    assert found.context_paths == ("local.tgz",)


def test_heredoc_sources_are_not_context_files() -> None:
    found = inputs("FROM alpine\nCOPY <<EOF real.txt /dest/\nhello\nEOF\n")
    assert found.context_paths == ("real.txt",)


def test_run_bind_mounts_read_the_context() -> None:
    found = inputs(
        "FROM alpine AS a\n"
        "FROM alpine\n"
        "RUN --mount=type=bind,source=scripts,target=/s sh /s/run.sh\n"
        "RUN --mount=target=/all ls /all\n"
        "RUN --mount=type=bind,from=a,source=/x,target=/x true\n"
        "RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=tok true\n"
        "RUN --mount=type=bind,from=nginx,target=/n true\n"
    )
    assert found.context_paths == (".", "scripts")
    assert [ref for ref, _ in found.images] == ["alpine", "nginx"]


def test_onbuild_triggers_of_a_stage_run_in_its_children() -> None:
    found = inputs("FROM alpine AS base\nONBUILD COPY triggered.txt /\nFROM base\nCOPY other /o\n")
    assert found.context_paths == ("other", "triggered.txt")


def test_onbuild_triggers_of_a_base_image_run_first() -> None:
    def resolve_with_triggers(name: str) -> ResolvedImage:
        return ResolvedImage(IDS["alpine"], env={}, onbuild=("COPY from-trigger /t",))

    found = find_build_inputs(parse_dockerfile("FROM alpine\n"), resolve=resolve_with_triggers)
    assert found.context_paths == ("from-trigger",)


def test_no_from_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        inputs("COPY a /b\n")


def test_unresolvable_copy_from_is_refused() -> None:
    with pytest.raises(InvalidInput):
        find_build_inputs(
            parse_dockerfile("FROM alpine\nCOPY --from=${IMG:?need it} /x /x\n"), resolve=resolve
        )
