"""Berth's VS Code extension packaged as a .vsix: what the archive holds, the version that names the build, and
the cache (built once per source, a new build for a changed source). code-server installing it for real is in
tests/integration/supervisor/test_ide_extensions.py."""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from node_agent.ide_extension import (
    FILE_NAME,
    KEEP_BUILDS,
    SOURCE_DIR,
    PackagingError,
    build_id,
    cache_root,
    ide_extension_vsix,
    main,
    version_of,
    write_vsix,
)
from supervisor.ide import vsix_manifest


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the real extension's source, to change without touching the repository."""
    copy = tmp_path / "ide_extension"
    shutil.copytree(SOURCE_DIR, copy)
    return copy


def test_the_archive_holds_the_manifests_and_the_sources_but_not_the_tests(source: Path, tmp_path: Path) -> None:
    vsix = tmp_path / "x.vsix"
    write_vsix(source, vsix, "1.0.7")
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        package = json.loads(archive.read("extension/package.json"))
        manifest = archive.read("extension.vsixmanifest").decode()
        content_types = archive.read("[Content_Types].xml").decode()
        assert archive.read("extension/src/extension.js") == (source / "src" / "extension.js").read_bytes()
    assert {"[Content_Types].xml", "extension.vsixmanifest", "extension/package.json", "extension/src/extension.js",
            "extension/src/frames.js", "extension/src/supervisor.js", "extension/src/taskTerminal.js",
            "extension/src/taskTerminals.js"} == names
    assert package["version"] == "1.0.7" and package["publisher"] == "berth" and package["name"] == "task-terminals"
    assert package["main"] == "./src/extension.js"
    assert 'Id="task-terminals"' in manifest and 'Version="1.0.7"' in manifest and 'Publisher="berth"' in manifest
    assert 'Extension=".js"' in content_types
    # What the supervisor reads to decide whether it is installed already.
    assert vsix_manifest(str(vsix)).directory == "berth.task-terminals-1.0.7"


def test_the_same_source_packs_to_the_same_bytes(source: Path, tmp_path: Path) -> None:
    write_vsix(source, tmp_path / "a.vsix", "1.0.1")
    (source / "src" / "frames.js").touch()
    write_vsix(source, tmp_path / "b.vsix", "1.0.1")
    assert (tmp_path / "a.vsix").read_bytes() == (tmp_path / "b.vsix").read_bytes()


def test_the_build_id_follows_the_shipped_files_only(source: Path) -> None:
    first = build_id(source)
    (source / "test" / "frames.test.js").write_text("// changed\n")
    assert build_id(source) == first, "the tests do not ship"
    (source / "src" / "frames.js").write_text((source / "src" / "frames.js").read_text() + "\n// changed\n")
    assert build_id(source) != first
    assert len(first) == 16 and int(first, 16) >= 0


def test_the_version_is_semver_and_names_the_build() -> None:
    assert version_of("00000000ffffffff") == "1.0.0"
    assert version_of("deadbeef00000000") == f"1.0.{0xDEADBEEF}"
    assert version_of("deadbeef00000000") != version_of("deadbeee00000000")


def test_built_once_per_source_in_the_cache(source: Path, tmp_path: Path) -> None:
    environ = {"BERTH_CACHE_DIR": str(tmp_path / "cache")}
    built = ide_extension_vsix(source, environ)
    assert built == cache_root(environ) / build_id(source) / FILE_NAME
    assert built.parent.parent == tmp_path / "cache" / "ide-extension"
    assert vsix_manifest(str(built)).version == version_of(build_id(source))
    assert built.stat().st_mode & 0o444 == 0o444, "read through the mount by the workspace user"
    before = built.stat().st_mtime_ns
    assert ide_extension_vsix(source, environ) == built and built.stat().st_mtime_ns == before
    (source / "src" / "extension.js").write_text((source / "src" / "extension.js").read_text() + "\n")
    rebuilt = ide_extension_vsix(source, environ)
    assert rebuilt != built and rebuilt.is_file() and built.is_file()
    # No half-built leftovers beside the builds.
    assert sorted(path.name for path in cache_root(environ).iterdir()) == sorted(
        [".lock", built.parent.name, rebuilt.parent.name])


def test_only_the_newest_builds_are_kept(source: Path, tmp_path: Path) -> None:
    environ = {"BERTH_CACHE_DIR": str(tmp_path / "cache")}
    built = []
    for number in range(KEEP_BUILDS + 2):
        (source / "src" / "extra.js").write_text(f"// {number}\n")
        built.append(ide_extension_vsix(source, environ))
    kept = {path.parent for path in built if path.is_file()}
    assert kept == {path.parent for path in built[-KEEP_BUILDS:]}


def test_concurrent_builds_make_one(source: Path, tmp_path: Path) -> None:
    environ = {"BERTH_CACHE_DIR": str(tmp_path / "cache")}
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(ide_extension_vsix(source, environ)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 4
    assert [path.name for path in cache_root(environ).iterdir() if not path.name.startswith(".")] == [
        results[0].parent.name]


def test_a_source_that_is_no_extension_is_refused(source: Path, tmp_path: Path) -> None:
    package = json.loads((source / "package.json").read_text())
    del package["publisher"]
    (source / "package.json").write_text(json.dumps(package))
    with pytest.raises(PackagingError, match="has no publisher"):
        ide_extension_vsix(source, {"BERTH_CACHE_DIR": str(tmp_path / "cache")})
    assert not list((tmp_path / "cache" / "ide-extension").glob("[0-9a-f]*")), "nothing half-written stays"
    (source / "package.json").write_text("{not json")
    with pytest.raises(PackagingError, match="cannot be read"):
        write_vsix(source, tmp_path / "x.vsix", "1.0.0")


def test_the_command_prints_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BERTH_CACHE_DIR", str(tmp_path / "cache"))
    assert main() == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.is_file() and printed.name == FILE_NAME and printed.is_relative_to(tmp_path / "cache")
