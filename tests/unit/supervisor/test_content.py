"""The content marker as the supervisor reads it (supervisor/content.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from supervisor.config import ConfigError, parse_config
from supervisor.content import ContentReady, read_marker, wait_for_content


def test_only_a_complete_marker_naming_this_instance_counts(tmp_path: Path) -> None:
    path = tmp_path / "content-ready.json"
    assert read_marker(str(path), "i-1") is None, "absent"
    whole = json.dumps({"incarnation": "x", "source": "git", "instance_id": "i-1", "start_mode": "fresh"})
    path.write_text(whole[:20])
    assert read_marker(str(path), "i-1") is None, "still being written"
    path.write_text(whole.replace("i-1", "i-0"))
    assert read_marker(str(path), "i-1") is None, "an earlier instance's"
    path.write_text(whole)
    assert read_marker(str(path), "i-1") == ContentReady("git", "fresh", 0.0)
    # A marker of an older node agent has no start mode: the config's stays.
    path.write_text(json.dumps({"incarnation": "x", "source": "volume", "instance_id": "i-1"}))
    assert read_marker(str(path), "i-1") == ContentReady("volume", None, 0.0)


async def test_waiting_ends_when_the_marker_comes_or_when_stopping(tmp_path: Path) -> None:
    path = tmp_path / "content-ready.json"

    async def later() -> None:
        await asyncio.sleep(0.1)
        path.write_text(json.dumps({"incarnation": "x", "source": "backup", "instance_id": "i-1",
                                    "start_mode": "restart"}))

    writer = asyncio.create_task(later())
    ready = await asyncio.wait_for(wait_for_content(str(path), "i-1", lambda: False), 5)
    await writer
    assert ready is not None and (ready.source, ready.start_mode) == ("backup", "restart")
    assert 0.05 < ready.waited < 2

    stopping = False

    async def stop() -> None:
        nonlocal stopping
        await asyncio.sleep(0.05)
        stopping = True

    stopper = asyncio.create_task(stop())
    assert await asyncio.wait_for(wait_for_content(str(tmp_path / "never"), "i-1", lambda: stopping), 5) is None
    await stopper


def test_the_config_names_the_marker_by_an_absolute_path() -> None:
    base = {"workspace_id": "w", "instance_id": "i"}
    assert parse_config(base).content_ready is None
    marker = "/workspace/.berth/content-ready.json"
    assert parse_config({**base, "content_ready": marker}).content_ready == marker
    with pytest.raises(ConfigError, match="content_ready: must be a normalized absolute path"):
        parse_config({**base, "content_ready": "workspace/marker.json"})
