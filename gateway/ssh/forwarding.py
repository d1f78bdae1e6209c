"""Local port forwarding (`ssh -L 9000:localhost:8000 <workspace>@...`): each forwarded connection becomes a
CONNECT tunnel through the workspace's supervisor to the port inside, as the HTTP proxy does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncssh

from gateway.proxy.tunnel import Tunnel

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
_HIGH_WATER = 1 << 20
"""Bytes queued towards the workspace above which we stop reading from the SSH channel."""


class TunnelSession(asyncssh.SSHTCPSession[bytes]):
    """Splices one SSH channel and one opened tunnel; each side's end is passed on as a half-close."""

    def __init__(self, tunnel: Tunnel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_traffic: Callable[[], None]) -> None:
        self._tunnel = tunnel
        self._reader = reader
        self._writer = writer
        self._touch = on_traffic
        self._chan: asyncssh.SSHTCPChannel[bytes] | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._pump: asyncio.Task[None] | None = None
        self._resuming: asyncio.Task[None] | None = None

    def connection_made(self, chan: asyncssh.SSHTCPChannel[bytes]) -> None:
        self._chan = chan
        self._pump = asyncio.create_task(self._to_client(chan), name=f"ssh -L {self._tunnel.port}")

    async def _to_client(self, chan: asyncssh.SSHTCPChannel[bytes]) -> None:
        try:
            if self._tunnel.leftover:
                chan.write(self._tunnel.leftover)
            while data := await self._reader.read(_CHUNK):
                self._touch()
                await self._can_write.wait()  # the client's window is full: the workspace waits
                chan.write(data)
            chan.write_eof()
        except (OSError, asyncssh.Error) as error:
            log.debug("forwarded port %d: %s", self._tunnel.port, error)
            chan.close()

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self._touch()
        self._writer.write(data)
        if self._chan is not None and self._resuming is None \
                and self._writer.transport.get_write_buffer_size() > _HIGH_WATER:
            self._chan.pause_reading()
            self._resuming = asyncio.create_task(self._resume_when_drained(self._chan))

    async def _resume_when_drained(self, chan: asyncssh.SSHTCPChannel[bytes]) -> None:
        with contextlib.suppress(OSError):
            await self._writer.drain()
        self._resuming = None
        chan.resume_reading()

    def eof_received(self) -> bool:
        if self._writer.can_write_eof() and not self._writer.is_closing():
            with contextlib.suppress(OSError):
                self._writer.write_eof()
        return True  # keep the channel open: the workspace may still answer

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def connection_lost(self, exc: Exception | None) -> None:
        for task in (self._pump, self._resuming):
            if task is not None:
                task.cancel()
        self._writer.close()
        self._tunnel.close()
