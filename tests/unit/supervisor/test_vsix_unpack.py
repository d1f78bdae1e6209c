"""Berth's own .vsix unpacked into an IDE data directory never used (supervisor/vsix_unpack.py): the files and
the list code-server writes for it, or a refusal that leaves nothing behind (code-server installs it then)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from supervisor.vsix_unpack import UnpackRefused, unpack_into_new_list


def vsix(path: Path, files: dict[str, str]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, text in files.items():
            archive.writestr(name, text)
    return str(path)


FILES = {"extension.vsixmanifest": "<PackageManifest/>", "extension/package.json": '{"name": "t"}',
         "extension/src/extension.js": "exports.activate = () => {};"}


def test_unpacks_like_code_server_and_lists_it(tmp_path: Path) -> None:
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    chowned: list[str] = []
    unpack_into_new_list(vsix(tmp_path / "b.vsix", FILES), str(extensions), "berth.task-terminals-1.0.7",
                         "berth.task-terminals", "1.0.7", chowned.append)
    folder = extensions / "berth.task-terminals-1.0.7"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == [
        ".vsixmanifest", "package.json", "src", "src/extension.js"]
    assert (folder / "src" / "extension.js").read_text() == FILES["extension/src/extension.js"]
    [entry] = json.loads((extensions / "extensions.json").read_text())
    assert entry["identifier"] == {"id": "berth.task-terminals"} and entry["version"] == "1.0.7"
    assert entry["relativeLocation"] == folder.name
    assert entry["location"] == {"$mid": 1, "fsPath": str(folder), "external": f"file://{folder}",
                                 "path": str(folder), "scheme": "file"}
    assert entry["metadata"]["source"] == "vsix"
    # Everything made for the workspace user is given to the user; no staging directory is left.
    assert {Path(p).name for p in chowned} >= {"src", "extension.js", "package.json", ".vsixmanifest"}
    assert sorted(p.name for p in extensions.iterdir()) == [folder.name, "extensions.json"]


def test_an_existing_list_or_a_strange_archive_is_left_to_code_server(tmp_path: Path) -> None:
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    (extensions / "extensions.json").write_text("[]")
    with pytest.raises(UnpackRefused, match="list already"):
        unpack_into_new_list(vsix(tmp_path / "b.vsix", FILES), str(extensions), "a.b-1", "a.b", "1", print)
    (extensions / "extensions.json").unlink()
    escaping = vsix(tmp_path / "evil.vsix", {**FILES, "extension/../../outside.js": "x"})
    with pytest.raises(UnpackRefused, match="unexpected name"):
        unpack_into_new_list(escaping, str(extensions), "a.b-1", "a.b", "1", lambda _: None)
    (tmp_path / "not.vsix").write_text("not a zip")
    with pytest.raises(UnpackRefused, match="not a readable"):
        unpack_into_new_list(str(tmp_path / "not.vsix"), str(extensions), "a.b-1", "a.b", "1", lambda _: None)
    assert list(extensions.iterdir()) == [], "nothing half-written"
    assert not (tmp_path / "outside.js").exists()
