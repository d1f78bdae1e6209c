"""Invalid config files: every error names the file, the line and the field."""

from __future__ import annotations

import pytest

from domain.config import parse_devcontainer_json, parse_gitpod_yml
from domain.errors import InvalidConfig, InvalidInput

# (text, line, field, words in the message)
GITPOD_ERRORS: list[tuple[str, int, str | None, str]] = [
    ("tasks: {}\n", 1, "tasks", "must be a list, got a mapping"),
    ('ports: "abc"\n', 1, "ports", "must be a list, got a string"),
    (
        "image: node:20\ntasks:\n  - name: a\n  - command:\n      - npm start\n",
        5,
        "tasks[1].command",
        "a string",
    ),
    ("tasks:\n  - name: build\n    env: [A, B]\n", 3, "tasks[0].env", "must be a mapping"),
    ("tasks:\n  - env:\n      A=B: x\n", 3, 'tasks[0].env["A=B"]', "not a valid environment variable name"),
    ("env:\n  PATHS:\n    - /usr/bin\n", 3, "env.PATHS", "must be a string, got a list"),
    ("env:\n  EMPTY:\n", 2, "env.EMPTY", "must be a string, got null"),
    ("tasks:\n  - openMode: split-top\n", 2, "tasks[0].openMode", "must be one of 'tab-after'"),
    ("tasks:\n  - command: x\n  - 'just a string'\n", 3, "tasks[1]", "must be a mapping"),
    ("ports:\n  - onOpen: notify\n", 2, "ports[0].port", "is required"),
    ("ports:\n  - port: abc\n", 2, "ports[0].port", "a range like 3000-3010, got 'abc'"),
    ("ports:\n  - port: 70000\n", 2, "ports[0].port", "between 1 and 65535"),
    ("ports:\n  - port: 0\n", 2, "ports[0].port", "between 1 and 65535"),
    ("ports:\n  - port: 3010-3000\n", 2, "ports[0].port", "below its start"),
    ("ports:\n  - port: [1, 2]\n", 2, "ports[0].port", "got a list"),
    ("ports:\n  - port: 3000.5\n", 2, "ports[0].port", "got a number"),
    ("ports:\n  - port: true\n", 2, "ports[0].port", "got a boolean"),
    ("ports:\n- port: 3000\n  visibility: everyone\n", 3, "ports[0].visibility", "'private', 'public'"),
    ("ports:\n- port: 3000\n  onOpen: open-tab\n", 3, "ports[0].onOpen", "must be one of"),
    ("ports:\n- port: 3000\n  protocol: tcp\n", 3, "ports[0].protocol", "'http', 'https'"),
    ("image:\n  context: .\n", 2, "image", "needs `file`"),
    ("image:\n  file: /etc/Dockerfile\n", 2, "image.file", "must be a relative path"),
    ("image:\n  file: ../Dockerfile\n", 2, "image.file", "outside the repository"),
    ("image:\n  file: Dockerfile\n  context: ../..\n", 3, "image.context", "outside the repository"),
    ("image: ''\n", 1, "image", "must be an image name"),
    ("image: [ubuntu]\n", 1, "image", "must be an image name or a mapping with `file`"),
    ("checkoutLocation: /etc/app\n", 1, "checkoutLocation", "must be under /workspace"),
    ("workspaceLocation: ../../root\n", 1, "workspaceLocation", "must stay under /workspace"),
    ("vscode:\n  extensions: ms-python.python\n", 2, "vscode.extensions", "must be a list"),
    ("vscode:\n  extensions:\n    - ''\n", 3, "vscode.extensions[0]", "empty string"),
    ("gitConfig:\n  alias.st:\n    cmd: status\n", 3, 'gitConfig["alias.st"]', "must be a string"),
    ("- image: ubuntu\n", 1, None, "the document must be a mapping, got a list"),
    ("just text\n", 1, None, "must be a mapping, got a string"),
]

GITPOD_SYNTAX_ERRORS: list[tuple[str, int, str]] = [
    ("tasks:\n  - name: a\n   command: b\n", 3, "invalid YAML"),  # bad indentation
    ("image: node\nports:\n\t- port: 3000\n", 3, "invalid YAML"),  # a tab indents
    ("tasks: [\n  {name: a}\n", 3, "invalid YAML"),  # never closed
    ("image: a\n---\nimage: b\n", 2, "invalid YAML"),  # two documents
    ("env: &a\n  X: *a\n", 2, "refers to itself"),
    (
        "tasks:\n  - name: a\n    env: &e\n      A: 1\n  - env:\n      <<: [*e, 3]\n",
        6,
        "merges only mappings",
    ),
    ("ports:\n  - port: !!int abc\n", 2, "not a valid int"),
    ("env:\n  BIG: " + "9" * 5000 + "\n", 2, "not a valid int"),
    ("image: node\nbad: \x07\n", 2, "invalid YAML"),  # a control character
    ("env:\n  ? [a, b]\n  : c\n", 2, "a key must be a plain value"),
    ("x:" + " [" * 100 + "]" * 100 + "\n", 1, "nested too deeply"),
]

DEVCONTAINER_ERRORS: list[tuple[str, int, str | None, str]] = [
    ('{\n  "image": 42\n}', 2, "image", "must be a string, got a number"),
    ('{\n  "name": "no image"\n}', 1, "image", "is required"),
    ('{\n  "image": "x",\n  "forwardPorts": "3000"\n}', 3, "forwardPorts", "must be a list"),
    ('{\n  "image": "x",\n  "forwardPorts": [3000,\n    true]\n}', 4, "forwardPorts[1]", "got a boolean"),
    ('{"image": "x",\n "forwardPorts": [70000]}', 2, "forwardPorts[0]", "between 1 and 65535"),
    ('{"image": "x",\n "forwardPorts": ["db:port"]}', 2, "forwardPorts[0]", '"host:port"'),
    ('{"image": "x",\n "forwardPorts": [3000.5]}', 2, "forwardPorts[0]", "whole number"),
    (
        '{"image": "x",\n "portsAttributes": {\n  "3000": {"onAutoForward": "popup"}}}',
        3,
        'portsAttributes["3000"].onAutoForward',
        "must be one of 'notify'",
    ),
    (
        '{"image": "x",\n "portsAttributes": {\n  "99999": {}}}',
        3,
        'portsAttributes["99999"]',
        "between 1 and",
    ),
    (
        '{"image": "x",\n "portsAttributes": {\n  "4000-3000": {}}}',
        3,
        'portsAttributes["4000-3000"]',
        "below",
    ),
    (
        '{\n  "build": {\n    "context": ".."\n  }\n}',
        2,
        "build.dockerfile",
        "is required when `build` is set",
    ),
    ('{"build": {\n  "dockerfile": "../../Dockerfile"}}', 2, "build.dockerfile", "outside the repository"),
    ('{"build": {\n  "dockerfile": "/Dockerfile"}}', 2, "build.dockerfile", "must be a relative path"),
    ('{"build": {"dockerfile": "D",\n  "args": {"V": 1}}}', 2, "build.args.V", "must be a string"),
    ('{"build": "Dockerfile"}', 1, "build", "must be a mapping"),
    (
        '{"image": "x",\n "containerEnv": {"PORT": 3000}}',
        2,
        "containerEnv.PORT",
        "must be a string, got a number",
    ),
    ('{"image": "x",\n "remoteEnv": {"": "x"}}', 2, 'remoteEnv[""]', "not a valid environment variable name"),
    ('{"image": "x",\n "remoteEnv": {"A": "a\\u0000b"}}', 2, "remoteEnv.A", "NUL"),
    ('{"image": "x",\n "postCreateCommand": 42}', 2, "postCreateCommand", "must be a string"),
    ('{"image": "x",\n "onCreateCommand": ["npm",\n 7]}', 3, "onCreateCommand[1]", "must be a string"),
    ('{"image": "x",\n "postStartCommand": ["", "x"]}', 2, "postStartCommand[0]", "name the program"),
    (
        '{"image": "x",\n "postAttachCommand": {\n  "a": {"nested": "object"}}}',
        3,
        "postAttachCommand.a",
        "a command string or an array",
    ),
    ('{"image": "x",\n "mounts": [\n  "source=cache,type=volume"]}', 3, "mounts[0]", "needs a `target`"),
    ('{"image": "x",\n "mounts": [{"source": "a"}]}', 2, "mounts[0]", "needs a `target`"),
    ('{"image": "x",\n "mounts": [42]}', 2, "mounts[0]", "must be a string"),
    (
        '{"image": "x",\n "features": ["ghcr.io/devcontainers/features/node:1"]}',
        2,
        "features",
        "must be a mapping",
    ),
    (
        '{"image": "x",\n "customizations": {"vscode": {"extensions": "ms-python.python"}}}',
        2,
        "",
        "must be a list",
    ),
    ('{"image": "x",\n "remoteUser": ["root"]}', 2, "remoteUser", "must be a string"),
    ("[]", 1, None, "the document must be a mapping, got a list"),
]

DEVCONTAINER_SYNTAX_ERRORS: list[tuple[str, int, str]] = [
    ("", 1, "unexpected end of the document"),
    ('{\n  "image": "x"\n  "remoteUser": "y"\n}', 3, "expected ',' or '}'"),
    ('{\n  "image": "x",\n  remoteUser: "y"\n}', 3, "expected a string key"),
    ('{\n  "image": "x",\n  "forwardPorts": [1 2]\n}', 3, "expected ',' or ']'"),
    ('{\n  "image": "x",\n', 1, "opened on line 1 is never closed"),
    ('{\n  "image": "x\n"}', 2, "control character"),
    ('{\n  "image": "x}', 2, "string is never closed"),
    ('{\n  /* comment\n  "image": "x"\n}', 2, "comment is never closed"),
    ('{"image": "x"}\n\n{}', 3, "after the end of the document"),
    ('{"image": "\\x41"}', 1, "invalid escape"),
    ('{"image": "\\u12"}', 1, "four hex digits"),
    ('{"image": "\\ud800"}', 1, "lone UTF-16 surrogate"),
    ('{"image": "\\udc00\\ud800"}', 1, "lone UTF-16 surrogate"),
    ('{"image": 01}', 1, "expected ',' or '}'"),
    ('{"image": -}', 1, "invalid number"),
    ('{"image": True}', 1, "unexpected character 'T'"),
    ('{\r\n"a": 1,\r\n"b": [,]}', 3, "unexpected character ','"),
    ('{"a": {,}}', 1, "expected a string key"),
    ('{"a":' + "[" * 100 + "]" * 100 + "}", 1, "nested too deeply"),
    ('{"n": ' + "1" * 1500 + "}", 1, "too long"),
    ('{"bad": "\ud800"}', 1, "lone UTF-16 surrogate"),
]


def _assert_error(error: InvalidConfig, file: str, line: int, field: str | None, words: str) -> None:
    assert error.file == file
    assert error.line == line
    assert error.field == field
    assert words in str(error)
    assert str(error).startswith(f"{file}:{line}: ")


@pytest.mark.parametrize(("text", "line", "field", "words"), GITPOD_ERRORS)
def test_gitpod_errors_name_file_line_and_field(text: str, line: int, field: str | None, words: str) -> None:
    with pytest.raises(InvalidConfig) as caught:
        parse_gitpod_yml(text)
    _assert_error(caught.value, ".gitpod.yml", line, field, words)


@pytest.mark.parametrize(("text", "line", "words"), GITPOD_SYNTAX_ERRORS)
def test_gitpod_syntax_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InvalidConfig) as caught:
        parse_gitpod_yml(text)
    _assert_error(caught.value, ".gitpod.yml", line, None, words)


@pytest.mark.parametrize(("text", "line", "field", "words"), DEVCONTAINER_ERRORS)
def test_devcontainer_errors_name_file_line_and_field(text: str, line: int, field: str | None, words: str) -> None:
    file = ".devcontainer/devcontainer.json"
    expected_field = "customizations.vscode.extensions" if field == "" else field
    with pytest.raises(InvalidConfig) as caught:
        parse_devcontainer_json(text, file=file)
    _assert_error(caught.value, file, line, expected_field, words)


@pytest.mark.parametrize(("text", "line", "words"), DEVCONTAINER_SYNTAX_ERRORS)
def test_devcontainer_syntax_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InvalidConfig) as caught:
        parse_devcontainer_json(text, file=".devcontainer.json")
    _assert_error(caught.value, ".devcontainer.json", line, None, words)


def test_invalid_config_is_an_invalid_input_for_the_gateway() -> None:
    with pytest.raises(InvalidInput):
        parse_gitpod_yml("tasks: 1")


def test_an_alias_bomb_stays_small() -> None:
    # Nine levels of nine aliases: ~387 million strings if expanded, one node each here.
    lines = ['a0: &a0 "x"']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    config = parse_gitpod_yml("\n".join(lines) + "\nenv: {X: '1'}\n")
    assert config.env == {"X": "1"}
    assert len(config.warnings) == 10


def test_a_wide_alias_graph_in_a_typed_field_is_rejected_quickly() -> None:
    lines = ["t: &t {command: run}", "l1: &l1 [" + ", ".join(["*t"] * 50) + "]"]
    with pytest.raises(InvalidConfig) as caught:
        parse_gitpod_yml("\n".join(lines) + "\ntasks: [*l1]\n")
    assert caught.value.field == "tasks[0]"
