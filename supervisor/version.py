"""The supervisor's version: the content hash scripts/build-supervisor.sh computes and bakes in.

The build copies the sources and adds a generated `supervisor/_build.py` holding that hash; a run
from the source tree has no such module and reports `dev`, so a binary is never mistaken for
whatever sources happen to be checked out.
"""

from __future__ import annotations

import importlib

DEV_VERSION = "dev"


def version() -> str:
    try:
        # Imported by name: the module only exists inside a build, so mypy and ruff never see it.
        build = importlib.import_module("supervisor._build")
    except ModuleNotFoundError:
        return DEV_VERSION
    value = getattr(build, "VERSION", DEV_VERSION)
    return value if isinstance(value, str) else DEV_VERSION
