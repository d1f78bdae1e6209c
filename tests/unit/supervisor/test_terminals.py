"""A terminal's scrollback and clients without a process, and the request body the terminal endpoint keeps."""

from __future__ import annotations

import asyncio

import pytest

from supervisor import terminals
from supervisor.http import read_request
from supervisor.terminals import KeptBody, Terminal, TerminalClosed


async def test_the_scrollback_keeps_the_newest_bytes_and_clients_get_what_follows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminals, "SCROLLBACK_BYTES", 8)
    terminal = Terminal(0, "app", lambda: "command")
    terminal._output(b"0123456789")
    scrollback, client = terminal.attach()
    assert scrollback == b"23456789" and client is not None
    terminal._output(b"ab")
    terminal.end()
    assert await client.get() == b"ab"
    assert await client.get() is None
    assert terminal.attach() == (b"456789ab", None)  # ended: the scrollback only
    with pytest.raises(TerminalClosed):
        await terminal.write(b"x")


async def test_a_client_too_far_behind_is_detached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminals, "MAX_BEHIND", 4)
    terminal = Terminal(0, None, lambda: "command")
    _, client = terminal.attach()
    assert client is not None
    terminal._output(b"abc")
    terminal._output(b"de")
    assert terminal.as_json()["attached"] == 0
    assert await client.get() == b"abc"
    assert await client.get() is None


async def test_kept_body() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"POST /_berth/terminals/0/write HTTP/1.1\r\nContent-Length: 5\r\n\r\nls -l")
    kept = KeptBody(reader)
    request = await read_request(kept.as_reader())
    assert request is not None and request.path == "/_berth/terminals/0/write" and kept.body == b"ls -l"
