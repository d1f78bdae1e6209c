"""Berth's own VS Code extension (ide_extension/: the workspace's task terminals in the IDE) as a .vsix that
the node agent mounts read-only into every workspace and the supervisor installs before code-server starts.

A .vsix is a zip: `[Content_Types].xml`, `extension.vsixmanifest` and the extension's files under
`extension/`. Plain JavaScript with no npm dependencies, so packaging is only zipping: no Node, no `vsce`.

Built once per source, like the supervisor binary (scripts/build-supervisor.sh): the build id is a hash of the
shipped files (names and contents) and of this module, the file lives at
$BERTH_CACHE_DIR/ide-extension/<id>/berth.task-terminals.vsix (default ~/.cache/berth), it appears only
complete (atomic rename) and concurrent builds serialize on a lock; the newest KEEP_BUILDS builds are kept. The
extension's version is derived from
the same hash (package.json's own version is replaced): the supervisor finds an installed extension by
`publisher.name-version`, so a changed source installs again, and an unchanged one is not reinstalled.

    python -m node_agent.ide_extension     prints the .vsix path (what scripts/build-ide-extension.sh runs)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

SOURCE_DIR = Path(__file__).resolve().parents[1] / "ide_extension"
SHIPPED = ("package.json", "src")
"""What goes into the .vsix (relative to the source directory): not the tests."""
FILE_NAME = "berth.task-terminals.vsix"
CACHE_SUBDIR = "ide-extension"
KEEP_BUILDS = 10
"""Older builds are pruned; a running container keeps its mounted file anyway (the mount holds the inode)."""
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
"""Every entry's timestamp: the same source packs to the same bytes."""
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension=".json" ContentType="application/json"/>'
    '<Default Extension=".js" ContentType="application/javascript"/>'
    '<Default Extension=".vsixmanifest" ContentType="text/xml"/>'
    "</Types>\n"
)


class PackagingError(Exception):
    """The extension's source is not something a .vsix can be made of (no package.json, no publisher...)."""


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("BERTH_CACHE_DIR") or str(Path.home() / ".cache" / "berth")
    return Path(base) / CACHE_SUBDIR


def shipped_files(source: Path) -> list[tuple[str, Path]]:
    """(name inside extension/, path) of every file that ships, sorted by name."""
    files: list[tuple[str, Path]] = []
    for entry in SHIPPED:
        path = source / entry
        if path.is_file():
            files.append((entry, path))
        elif path.is_dir():
            files.extend((found.relative_to(source).as_posix(), found)
                         for found in path.rglob("*") if found.is_file() and "__pycache__" not in found.parts)
    return sorted(files)


def build_id(source: Path) -> str:
    """A hash of the shipped files' names and contents and of this packaging code: 16 hex digits."""
    digest = hashlib.sha256()
    for name, path in shipped_files(source):
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def version_of(build: str) -> str:
    """A semver version that names the build (VS Code keeps `publisher.name-version` folders)."""
    return f"1.0.{int(build[:8], 16)}"


def _manifest(source: Path, version: str) -> dict[str, Any]:
    try:
        manifest = json.loads((source / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackagingError(f"{source / 'package.json'} cannot be read: {error}") from error
    if not isinstance(manifest, dict):
        raise PackagingError(f"{source / 'package.json'} is not a JSON object")
    for key in ("publisher", "name", "engines", "main"):
        if not manifest.get(key):
            raise PackagingError(f"{source / 'package.json'} has no {key}")
    return {**manifest, "version": version}


def _vsixmanifest(manifest: Mapping[str, Any]) -> str:
    engine = str(manifest["engines"].get("vscode", "*")) if isinstance(manifest["engines"], dict) else "*"
    kinds = manifest.get("extensionKind") or ["workspace"]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">\n'
        "  <Metadata>\n"
        f'    <Identity Language="en-US" Id={quoteattr(str(manifest["name"]))} '
        f'Version={quoteattr(str(manifest["version"]))} Publisher={quoteattr(str(manifest["publisher"]))}/>\n'
        f"    <DisplayName>{escape(str(manifest.get('displayName', manifest['name'])))}</DisplayName>\n"
        f"    <Description>{escape(str(manifest.get('description', '')))}</Description>\n"
        "    <Properties>\n"
        f'      <Property Id="Microsoft.VisualStudio.Code.Engine" Value={quoteattr(engine)}/>\n'
        f'      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value={quoteattr(",".join(kinds))}/>\n'
        "    </Properties>\n"
        "  </Metadata>\n"
        '  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation>\n'
        "  <Dependencies/>\n"
        "  <Assets>\n"
        '    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/>\n'
        "  </Assets>\n"
        "</PackageManifest>\n"
    )


def write_vsix(source: Path, destination: Path, version: str) -> None:
    """The .vsix of `source` at `destination`, its package.json stamped with `version` (PackagingError when
    the source is not an extension)."""
    manifest = _manifest(source, version)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        add("[Content_Types].xml", CONTENT_TYPES.encode())
        add("extension.vsixmanifest", _vsixmanifest(manifest).encode())
        for name, path in shipped_files(source):
            data = json.dumps(manifest, indent=2).encode() if name == "package.json" else path.read_bytes()
            add(f"extension/{name}", data)


def ide_extension_vsix(source: Path = SOURCE_DIR, environ: Mapping[str, str] | None = None) -> Path:
    """The cached .vsix of `source`, built first when this source has none yet. Blocking: call it in a thread
    from async code."""
    build = build_id(source)
    root = cache_root(environ)
    target = root / build / FILE_NAME
    if target.is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():  # built by a concurrent run while this one waited for the lock
            return target
        work = Path(tempfile.mkdtemp(prefix=f".build-{build}-", dir=root))
        try:
            write_vsix(source, work / FILE_NAME, version_of(build))
            (work / FILE_NAME).chmod(0o644)  # read by the workspace user through the read-only mount
            work.chmod(0o755)
            shutil.rmtree(target.parent, ignore_errors=True)
            os.replace(work, target.parent)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _prune(root, keep=target.parent)
    return target


def _prune(root: Path, keep: Path) -> None:
    """Every source change is a new build: keep the newest few (and `keep`, just built), so the cache does not
    grow without end."""
    builds = [path for path in root.iterdir()
              if path.is_dir() and path != keep and re.fullmatch(r"[0-9a-f]{16}", path.name)]
    builds.sort(key=lambda path: path.stat().st_mtime_ns, reverse=True)
    for old in builds[KEEP_BUILDS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def main() -> int:
    try:
        path = ide_extension_vsix()
    except (OSError, PackagingError) as error:
        print(f"ERROR [build-ide-extension]: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
