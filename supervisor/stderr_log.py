"""The supervisor's own log: single lines on stderr, which is what `docker logs` shows.

One event per line (newlines in messages and tracebacks escaped) so that the node agent, or a
person with grep, can read the log line by line without guessing where an entry ends.
"""

from __future__ import annotations

import logging
import sys
import time


class SingleLineFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
        self.converter = time.gmtime  # UTC, as the trailing Z says

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", " \\n ")


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SingleLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
