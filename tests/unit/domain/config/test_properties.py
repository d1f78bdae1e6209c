"""Properties: no input crashes a parser with anything but InvalidConfig, and configs round-trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.config import WorkspaceConfig, load_workspace_config, parse_devcontainer_json, parse_gitpod_yml
from domain.errors import InvalidConfig
from tests.unit.domain.config.strategies import (
    DEVCONTAINER_FILE,
    corrupted,
    devcontainer_configs,
    documents,
    gitpod_configs,
    workspace_configs,
)
from tests.unit.domain.config.writers import (
    devcontainer_document,
    gitpod_document,
    to_devcontainer_json,
    to_gitpod_yml,
)

CORPUS = Path(__file__).parent / "corpus"
GITPOD_TEXTS = [path.read_text() for path in sorted((CORPUS / "gitpod").iterdir())]
DEVCONTAINER_TEXTS = [path.read_text() for path in sorted((CORPUS / "devcontainer").iterdir())]


def _parses_or_rejects(parse: Callable[[str], WorkspaceConfig], text: str) -> None:
    """The parser returns a config that survives serialization, or raises InvalidConfig naming the
    file; any other exception fails the test."""
    try:
        config = parse(text)
    except InvalidConfig as caught:
        error = caught
    else:
        assert WorkspaceConfig.model_validate_json(config.model_dump_json()) == config
        return
    assert error.file
    assert error.line is None or error.line >= 1


def _parse_devcontainer(text: str) -> WorkspaceConfig:
    return parse_devcontainer_json(text, local_env={"A": "1"}, container_env={"PATH": "/bin"})


@given(st.text())
@example("")
@example("\ufeff{}")
@example("tasks:\n- &a [*a]")
def test_arbitrary_text_never_crashes_the_gitpod_parser(text: str) -> None:
    _parses_or_rejects(parse_gitpod_yml, text)


@given(st.text())
@example("\ufeff{}")
@example('{"image": "x", "forwardPorts": [1e400]}')
def test_arbitrary_text_never_crashes_the_devcontainer_parser(text: str) -> None:
    _parses_or_rejects(_parse_devcontainer, text)


@given(st.text(), st.text())
def test_arbitrary_files_never_crash_the_loader(gitpod: str, devcontainer: str) -> None:
    _parses_or_rejects(lambda text: load_workspace_config({".devcontainer.json": text}), devcontainer)
    _parses_or_rejects(lambda text: load_workspace_config({".gitpod.yml": text, ".devcontainer.json": ""}), gitpod)


@given(documents)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_yaml_documents_never_crash_the_gitpod_parser(document: dict[str, object]) -> None:
    _parses_or_rejects(parse_gitpod_yml, yaml.safe_dump(document))


@given(documents, st.booleans())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_json_documents_never_crash_the_devcontainer_parser(
    document: dict[str, object], with_image: bool
) -> None:
    # without an image nearly every document stops at "image is required"
    base: dict[str, object] = {"image": "x"} if with_image else {}
    _parses_or_rejects(_parse_devcontainer, json.dumps(base | document))


@given(gitpod_configs.map(gitpod_document).flatmap(corrupted))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_corrupted_gitpod_documents_never_crash_the_parser(document: object) -> None:
    _parses_or_rejects(parse_gitpod_yml, yaml.safe_dump(document))


@given(
    devcontainer_configs.map(lambda config: devcontainer_document(config, file=DEVCONTAINER_FILE)).flatmap(corrupted)
)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_corrupted_devcontainer_documents_never_crash_the_parser(document: object) -> None:
    _parses_or_rejects(_parse_devcontainer, json.dumps(document))


def _mutations(texts: list[str]) -> st.SearchStrategy[str]:
    """A corpus file with a few random edits: near-valid input reaches the deepest checks."""

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        text = draw(st.sampled_from(texts))
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            until = draw(st.integers(at, min(len(text), at + 8)))
            insert = draw(st.sampled_from(["", " ", "\n", "- ", ": ", "[", "]", "{", "}", ",", '"', "0", "x"]))
            text = text[:at] + insert + text[until:]
        return text

    return mutate()


@given(_mutations(GITPOD_TEXTS))
def test_edited_gitpod_files_never_crash_the_parser(text: str) -> None:
    _parses_or_rejects(parse_gitpod_yml, text)


@given(_mutations(DEVCONTAINER_TEXTS))
def test_edited_devcontainer_files_never_crash_the_parser(text: str) -> None:
    _parses_or_rejects(_parse_devcontainer, text)


@given(workspace_configs)
def test_every_valid_model_round_trips_through_its_dump(config: WorkspaceConfig) -> None:
    assert WorkspaceConfig.model_validate(config.model_dump()) == config
    assert WorkspaceConfig.model_validate_json(config.model_dump_json()) == config


@given(gitpod_configs)
def test_gitpod_configs_round_trip_through_gitpod_yml(config: WorkspaceConfig) -> None:
    text = to_gitpod_yml(config)
    assert parse_gitpod_yml(text) == config, text


@given(devcontainer_configs)
def test_devcontainer_configs_round_trip_through_devcontainer_json(config: WorkspaceConfig) -> None:
    text = to_devcontainer_json(config, file=DEVCONTAINER_FILE)
    assert parse_devcontainer_json(text, file=DEVCONTAINER_FILE) == config, text


@given(devcontainer_configs)
def test_devcontainer_configs_round_trip_from_the_repository_root(config: WorkspaceConfig) -> None:
    expected = config.model_copy(update={"sources": (".devcontainer.json",)})
    text = to_devcontainer_json(expected, file=".devcontainer.json")
    assert parse_devcontainer_json(text, file=".devcontainer.json") == expected, text
