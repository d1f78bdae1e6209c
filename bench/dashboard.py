"""The dashboard in headless Chromium against a real `berth up` holding 500 workspaces.

- list_500: navigation to `/` -> all 500 rows of the workspace list in the DOM and painted (the first frame
  after the last row appeared), read in the page on the navigation's own clock (performance.now(), whose zero
  is the navigation start). Median of the rounds after a warm one. Target < 1000 ms.
- live_update: an event appended (a pin, `PUT /api/workspaces/{id}/pinned`, through the running gateway) ->
  that workspace's row changed on screen (the animation frame after its `data-pinned` changed, seen by a
  MutationObserver). The append time is the event's `occurred_at` (stamped by the gateway just before the
  append commits) as a second EventSource in the page receives it; both sides read the machine's wall clock
  (Date.now() in the page, the gateway's UTC clock), so the latency includes the commit, the stream, parsing
  and rendering. 100 updates, one every 50 ms. Target p99 < 200 ms.

The 500 workspaces are seeded before Berth starts: their creation events are appended to the embedded event
store (the same file `berth up` then opens), so the read model is built by Berth's own projection on start.
They were never started, so no container runs and no worker has anything to do for them.

Run: `python bench/dashboard.py` (`--quick`: 2 rounds, 30 updates). Prints a table; the last line is one JSON
object. Needs Chromium with Playwright (scripts/install-browser.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import Berth, wait_until  # noqa: E402

from domain.envelope import Cause  # noqa: E402
from domain.workspace.events import WorkspaceCreated  # noqa: E402
from domain.workspace.ids import new_workspace_id  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store.records import NewEvent  # noqa: E402
from infra.store.sqlite import SqliteEventStore  # noqa: E402
from schemas.codec import EventCodec  # noqa: E402
from tests.e2e.browser import chromium, log_in  # noqa: E402

WORKSPACES = 500
OWNER = "admin"
"""The user `berth up` makes and prints a token for."""
LIST_TARGET_MS = 1000.0
LIVE_TARGET_MS = 200.0

# In the page before its own script: when the list first holds every row, the next frame is when it shows.
WATCH_LIST = """(wanted) => {
  window.listShownAt = null;
  const check = () => {
    const list = document.getElementById("workspaces");
    if (!list || window.listShownAt !== null || list.children.length < wanted) return false;
    window.listShownAt = -1;
    requestAnimationFrame(() => { window.listShownAt = performance.now(); });
    return true;
  };
  new MutationObserver((_, observer) => { if (check()) observer.disconnect(); })
    .observe(document, { childList: true, subtree: true });
}"""

# In the page once the list shows: each row's first pin change (on the next frame) and each pin event's
# append time, keyed by workspace id.
WATCH_UPDATES = """() => {
  window.changedAt = {};
  window.appendedAt = {};
  new MutationObserver((changes) => {
    for (const change of changes) {
      const id = change.target.dataset.id;
      if (!id || change.target.dataset.pinned !== "true" || id in window.changedAt) continue;
      window.changedAt[id] = -1;
      requestAnimationFrame(() => { window.changedAt[id] = Date.now(); });
    }
  }).observe(document.getElementById("workspaces"), { attributes: true, attributeFilter: ["data-pinned"],
                                                      subtree: true });
  return new Promise((ready) => {
    const stream = new EventSource("/dashboard/events");
    stream.addEventListener("ready", () => ready(true));
    stream.addEventListener("workspace", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "workspace.pin_changed") window.appendedAt[event.workspace_id] = Date.parse(event.time);
    });
  });
}"""


async def seed(home: Path, count: int) -> list[str]:
    """`count` workspaces of OWNER, as creation events in the store `berth up` is about to open."""
    store = await SqliteEventStore(Settings(home=home).database).open()
    codec, rng, ids = EventCodec(), random.Random(6), []
    try:
        for index in range(count):
            workspace_id = new_workspace_id(rng)
            created = WorkspaceCreated(workspace_id=workspace_id, owner=OWNER,
                                       context_url=f"https://git.example/bench/repo-{index:03d}")
            await store.append(f"workspace-{workspace_id}", [NewEvent.of(codec.encode(created), Cause(OWNER))], 0)
            ids.append(workspace_id)
    finally:
        await store.close()
    return ids


def list_render_ms(browser: Browser, cookies: list[Any], url: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(cookies)
    try:
        page = context.new_page()
        page.add_init_script(f"({WATCH_LIST})({WORKSPACES})")
        page.goto(url, wait_until="commit")
        # Functions, not expressions: an expression is evaluated with eval, which the page's CSP forbids.
        page.wait_for_function("() => window.listShownAt > 0", timeout=60_000)
        return float(page.evaluate("window.listShownAt"))
    finally:
        context.close()


def live_latencies(berth: Berth, page: Page, ids: list[str], updates: int) -> list[float]:
    page.evaluate(WATCH_UPDATES)
    chosen = ids[-updates:]  # the rows at the bottom: each pin moves its row all the way up
    for workspace_id in chosen:
        answer = berth.http.put(f"/api/workspaces/{workspace_id}/pinned", json={"pinned": True})
        answer.raise_for_status()
        time.sleep(0.05)
    page.wait_for_function(f"() => Object.values(window.changedAt).filter((t) => t > 0).length >= {updates} && "
                           f"Object.keys(window.appendedAt).length >= {updates}", timeout=30_000)
    changed: dict[str, float] = page.evaluate("window.changedAt")
    appended: dict[str, float] = page.evaluate("window.appendedAt")
    return [changed[w] - appended[w] for w in chosen]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 rounds and 30 updates")
    args = parser.parse_args()
    rounds, updates = (2, 30) if args.quick else (5, 100)
    scratch = Path(tempfile.mkdtemp(prefix="berth-bench-dashboard-"))
    ids = asyncio.run(seed(scratch, WORKSPACES))
    berth = Berth(scratch)
    try:
        wait_until(lambda: len(berth.http.get("/api/workspaces").json()["workspaces"]) >= WORKSPACES, 120, 0.2)
        with chromium() as browser:
            login = browser.new_context()
            log_in(login.new_page(), berth.url, token=berth.token)
            cookies: list[Any] = list(login.cookies())
            login.close()
            list_render_ms(browser, cookies, f"{berth.url}/")  # warm: Chromium, the gateway, the asset cache
            renders = [list_render_ms(browser, cookies, f"{berth.url}/") for _ in range(rounds)]
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_cookies(cookies)
            page = context.new_page()
            page.goto(f"{berth.url}/", wait_until="load")
            page.wait_for_function(f"() => document.querySelectorAll('li.workspace').length >= {WORKSPACES}")
            latencies = live_latencies(berth, page, ids, updates)
            context.close()
    finally:
        berth.stop(delete_workspaces=False)  # nothing runs: the scratch directory goes with everything in it
        shutil.rmtree(scratch, ignore_errors=True)
    list_ms = statistics.median(renders)
    p99 = percentile(latencies, 0.99)
    figures: dict[str, Any] = {
        "list_500_ms": round(list_ms, 1),
        "list_500_rounds_ms": [round(r, 1) for r in renders],
        "live_update_p50_ms": round(percentile(latencies, 0.50), 1),
        "live_update_p99_ms": round(p99, 1),
        "live_update_max_ms": round(max(latencies), 1),
        "live_updates": len(latencies),
        "workspaces": WORKSPACES,
        "targets_met": {"list_500_ms<1000": list_ms < LIST_TARGET_MS, "live_update_p99_ms<200": p99 < LIVE_TARGET_MS},
    }
    print(f"{'measure':<44}{'berth':>10}{'target':>10}")
    print(f"{'workspace list, 500 rows shown (ms, median)':<44}{figures['list_500_ms']:>10}{'< 1000':>10}")
    print(f"{'live update, event -> screen (ms, p50)':<44}{figures['live_update_p50_ms']:>10}{'':>10}")
    print(f"{'live update, event -> screen (ms, p99)':<44}{figures['live_update_p99_ms']:>10}{'< 200':>10}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
