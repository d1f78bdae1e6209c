"""The exec endpoint's spec parsing and framing (the endpoint itself runs in tests/integration/ssh)."""

from __future__ import annotations

import pytest

from supervisor.exec import EXIT, HEADER, ExecSpec, frame, parse_spec
from supervisor.http import HttpError


def test_an_empty_spec_is_a_login_shell_without_a_terminal() -> None:
    assert parse_spec("") == ExecSpec()


def test_a_full_spec() -> None:
    spec = parse_spec('{"command": "ls", "pty": true, "rows": 50, "cols": 0, "env": {"TERM": "xterm"}}')
    assert spec == ExecSpec(None, "ls", True, 50, 80, {"TERM": "xterm"})  # 0: the client does not know


@pytest.mark.parametrize("text", [
    "[]", "{", '{"argv": []}', '{"argv": ["a\\u0000"]}', '{"pty": 1}', '{"rows": -1}', '{"rows": true}',
    '{"env": {"A=B": "c"}}', '{"env": {"A": 1}}', '{"shell": "zsh"}',
])
def test_bad_specs_are_400(text: str) -> None:
    with pytest.raises(HttpError) as raised:
        parse_spec(text)
    assert raised.value.status == 400


def test_frames_are_type_length_payload() -> None:
    data = frame(EXIT, b"\x00\x00\x00\x07")
    assert HEADER.unpack(data[:HEADER.size]) == (EXIT, 4)
    assert data[HEADER.size:] == b"\x00\x00\x00\x07"
