"""Making a directory really unwritable, also for root (tests here often run as root, where a
read-only mode bit changes nothing): the immutable attribute (`chattr +i`) when root, else chmod."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        assert chattr is not None, "chattr (e2fsprogs) is needed to make a directory unwritable for root"
        subprocess.run([chattr, "+i", str(directory)], check=True)
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(directory)], check=True)
    else:
        mode = directory.stat().st_mode
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(mode)
