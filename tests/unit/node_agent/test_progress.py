"""Progress is throttled, and the final report always comes."""

from __future__ import annotations

from node_agent.progress import Progress, ProgressMeter, Stage


def test_updates_are_throttled_and_the_end_is_reported() -> None:
    seen: list[Progress] = []
    meter = ProgressMeter(Stage.BACKUP, seen.append, interval=3600)
    for done in range(0, 100_000, 1000):
        meter.update(done, compressed=done // 2)
    meter.finish(100_000, compressed=50_000)
    assert [(p.bytes, p.done) for p in seen] == [(0, False), (100_000, True)]
    assert seen[-1].compressed_bytes == 50_000 and seen[-1].stage is Stage.BACKUP


def test_no_interval_reports_everything() -> None:
    seen: list[Progress] = []
    meter = ProgressMeter(Stage.CLONE, seen.append, interval=0)
    for done in range(5):
        meter.update(done, objects=done, total_objects=5)
    assert [p.objects for p in seen] == [0, 1, 2, 3, 4]
