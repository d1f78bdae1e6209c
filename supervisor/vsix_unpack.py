"""Berth's own extension unpacked straight into a new IDE data directory, without code-server.

`code-server --install-extension` costs about 0.8 s of CPU (it loads VS Code's server to unzip 20 KB), and every
fresh workspace paid it while its tasks were starting. Where the extensions directory has no `extensions.json`
yet (the IDE never ran on this content), the supervisor writes what that command writes for a .vsix: the
archive's `extension/` folder as `<publisher>.<name>-<version>` (lowercased), its `extension.vsixmanifest` as
`.vsixmanifest` in it, and the list of installed extensions (`extensions.json`, one entry). Anything else (an
existing list to merge into, a restored older version to replace) is left to code-server, which knows its own
format best; so is anything this code does not understand (it raises `UnpackRefused`, the caller falls back).
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import time
import zipfile
from collections.abc import Callable

EXTENSIONS_LIST = "extensions.json"
_FOLDER = "extension/"
_MANIFEST = "extension.vsixmanifest"
_MAX_BYTES = 64 << 20
"""More than Berth's extension will ever hold: a bigger archive is not unpacked here."""


class UnpackRefused(Exception):
    """Not for this fast path: code-server installs it instead."""


def unpack_into_new_list(vsix: str, extensions_dir: str, directory: str, extension_id: str, version: str,
                         chown: Callable[[str], None]) -> None:
    """Unpack `vsix` as `directory` in `extensions_dir` and write the list naming it. UnpackRefused when the list
    exists already, or the archive holds anything unexpected; nothing is left half-written either way."""
    listing = posixpath.join(extensions_dir, EXTENSIONS_LIST)
    if os.path.lexists(listing):
        raise UnpackRefused("the extensions directory has its list already")
    target = posixpath.join(extensions_dir, directory)
    staging = posixpath.join(extensions_dir, f".berth-unpack-{os.getpid()}-{directory}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _extract(vsix, staging, chown)
        shutil.rmtree(target, ignore_errors=True)  # a leftover without a list names nothing
        os.rename(staging, target)
        entry = {
            "identifier": {"id": extension_id},
            "version": version,
            "location": {"$mid": 1, "fsPath": target, "external": f"file://{target}", "path": target,
                         "scheme": "file"},
            "relativeLocation": directory,
            "metadata": {"isApplicationScoped": False, "isMachineScoped": False, "isBuiltin": False,
                         "installedTimestamp": int(time.time() * 1000), "pinned": True, "source": "vsix"},
        }
        temporary = f"{listing}.berth-tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump([entry], handle, separators=(",", ":"))
        chown(temporary)
        os.replace(temporary, listing)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _extract(vsix: str, into: str, chown: Callable[[str], None]) -> None:
    try:
        with zipfile.ZipFile(vsix) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > _MAX_BYTES:
                raise UnpackRefused("the archive is bigger than this fast path takes")
            os.makedirs(into)
            chown(into)
            for member in members:
                name = member.filename
                if name == _MANIFEST:
                    relative = ".vsixmanifest"
                elif name.startswith(_FOLDER) and len(name) > len(_FOLDER):
                    relative = name[len(_FOLDER):]
                else:
                    continue  # [Content_Types].xml and the like stay out, as with code-server
                parts = relative.rstrip("/").split("/")
                if any(part in ("", ".", "..") for part in parts) or "\\" in relative or "\0" in relative:
                    raise UnpackRefused(f"an unexpected name in the archive: {name!r}")
                path = posixpath.join(into, *parts)
                _make_parents(into, path, chown)
                if member.is_dir():
                    if not os.path.isdir(path):
                        os.mkdir(path)
                        chown(path)
                    continue
                with archive.open(member) as source, open(path, "wb") as target:
                    shutil.copyfileobj(source, target)
                chown(path)
    except (zipfile.BadZipFile, KeyError) as error:
        raise UnpackRefused(f"not a readable .vsix: {error}") from None


def _make_parents(root: str, path: str, chown: Callable[[str], None]) -> None:
    missing: list[str] = []
    parent = posixpath.dirname(path)
    while parent != root and not os.path.isdir(parent):
        missing.append(parent)
        parent = posixpath.dirname(parent)
    for directory in reversed(missing):
        os.mkdir(directory)
        chown(directory)
