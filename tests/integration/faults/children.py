"""Child processes of the fault tests: a module of this package run with the repository's Python,
which reports progress as lines on stdout and is stopped the hard way (SIGKILL)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[3]


class ChildFailed(AssertionError):
    pass


class Child:
    def __init__(self, name: str, process: asyncio.subprocess.Process, stderr_path: Path,
                 stderr: IO[bytes]) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._stderr_path = stderr_path
        self._stderr = stderr

    @classmethod
    async def start(cls, module: str, *args: str, logs: Path) -> Child:
        """Run `python -m <module> <args>`; its stderr goes to a file under `logs` (shown on failure)."""
        logs.mkdir(parents=True, exist_ok=True)
        name = module.rsplit(".", 1)[-1]
        stderr_path = logs / f"{name}-{len(list(logs.glob(f'{name}-*.log')))}.log"
        stderr = stderr_path.open("wb")  # closed in wait()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", module, *args, cwd=REPO,
                stdout=asyncio.subprocess.PIPE, stderr=stderr,
            )
        except BaseException:
            stderr.close()
            raise
        return cls(name, process, stderr_path, stderr)

    async def expect(self, prefix: str, within: float = 60.0) -> str:
        """The next line starting with `prefix` (earlier lines are kept in `lines`). Fails when the
        child exits or stays silent for `within` seconds."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(within):
                while True:
                    raw = await self.process.stdout.readline()
                    if not raw:
                        code = await self.process.wait()
                        raise ChildFailed(f"{self.name} exited with {code} before saying {prefix!r}{self.stderr()}")
                    line = raw.decode().rstrip("\n")
                    self.lines.append(line)
                    if line.startswith(prefix):
                        return line
        except TimeoutError:
            raise ChildFailed(f"{self.name} did not say {prefix!r} within {within}s{self.stderr()}") from None

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs in the child."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        code = await self.wait(30)
        assert code == -signal.SIGKILL, f"{self.name} exited with {code} before it was killed{self.stderr()}"

    async def wait(self, within: float) -> int:
        try:
            async with asyncio.timeout(within):
                return await self.process.wait()
        except TimeoutError:
            raise ChildFailed(f"{self.name} did not exit within {within}s{self.stderr()}") from None
        finally:
            if self.process.returncode is not None:
                self._stderr.close()

    def stderr(self, last: int = 40) -> str:
        # The child writes to the file itself (an inherited descriptor): nothing is buffered here.
        text = self._stderr_path.read_text(errors="replace").splitlines()[-last:]
        return "\n--- stderr of the child (last lines) ---\n" + "\n".join(text) if text else ""

    async def cleanup(self) -> None:
        """In a finally: make sure the child is gone, whatever happened."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.wait(30)
