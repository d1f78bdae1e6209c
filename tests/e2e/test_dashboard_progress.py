"""Creating a workspace from the dashboard shows its progress live, in real headless Chromium against a real
`berth up` with real containers: the steps (resolving, configuration, the image with its Dockerfile build log
streaming while it builds, container, clone, tasks) advance one after the other until it runs; the workspace
page then shows the task with its state and its output, as plain text (colours dropped, markup not parsed).
A reload in the middle of a build shows the panel again with the build log from its first line, then the
rest live, nothing twice.
Screenshots are kept in artifacts/dashboard-*.png."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.berth_process import RunningBerth, repository
from tests.e2e.browser import shot, submit_login
from tests.gitserver import GitDaemon, Seeded

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

STEPS = ["resolve", "config", "image", "container", "content", "tasks"]

# Records, in the page, every change of a step's state and the build log's first text, with the time: what
# the user saw, in the order they saw it.
WATCH = """() => {
  window.stepChanges = [];
  window.buildLogAt = null;
  const steps = document.getElementById("progress-steps");
  new MutationObserver((changes) => {
    // A record tells the value before the change; the value after is the next record's "before" for the same
    // step, or the current value for its last record (several changes can land in one callback).
    const now = performance.now();
    changes.forEach((change, index) => {
      const next = changes.slice(index + 1).find((later) => later.target === change.target);
      const state = next ? next.oldValue : change.target.dataset.state;
      window.stepChanges.push([change.target.dataset.step, state, now]);
    });
  }).observe(steps, { attributes: true, attributeFilter: ["data-state"], attributeOldValue: true, subtree: true });
  const log = document.getElementById("build-log");
  new MutationObserver(() => {
    if (window.buildLogAt === null && log.dataset.empty === "false") window.buildLogAt = performance.now();
  }).observe(log, { childList: true, characterData: true, subtree: true, attributes: true });
}"""


def test_create_shows_live_progress_with_the_build_log_then_the_task_output(
        page: Page, platform: RunningBerth, seeded: Seeded, git: GitDaemon) -> None:
    build_marker, task_marker = f"built-{uuid.uuid4().hex[:8]}", f"said-{uuid.uuid4().hex[:8]}"
    url = repository(seeded, git, {
        ".gitpod.yml": "image:\n  file: .gitpod.Dockerfile\ntasks:\n  - name: greeter\n"
                       # Colours, a carriage-return redraw and markup: the page must show text, not run or parse it.
                       f"    command: printf '\\033[1;32m{task_marker}\\033[0m <b>not bold</b>\\nstep 1\\rstep 2\\n'"
                       " && sleep 600\n",
        ".gitpod.Dockerfile": f"FROM berth/base:latest\nRUN echo {build_marker} && sleep 2 && echo after-sleep\n",
    })
    page.goto(f"{platform.url}/", wait_until="domcontentloaded")
    submit_login(page, token=platform.token)
    expect(page.locator("#who")).to_have_text("admin")
    page.evaluate(WATCH)
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Git repository URL").fill(url)
    page.get_by_role("button", name="Create").click()
    progress = page.locator("#progress")
    expect(progress).to_be_visible()
    box = progress.bounding_box()
    list_top = page.locator("#list-heading").bounding_box()
    build_log = page.locator("#build-log")
    expect(build_log).to_contain_text(build_marker, timeout=240_000)
    shot(page, "progress-building")
    expect(progress).to_have_attribute("data-outcome", re.compile("^(running|failed)$"), timeout=240_000)
    assert progress.get_attribute("data-outcome") == "running", page.locator("#progress-error").inner_text()
    expect(build_log).to_contain_text("after-sleep")
    for step in STEPS:
        expect(page.locator(f'.step[data-step="{step}"]')).to_have_attribute("data-state", "done")
    expect(page.locator('.step[data-step="image"] .step-detail')).to_contain_text("built")
    expect(page.locator('.step[data-step="content"] .step-detail')).to_contain_text("from ")
    shot(page, "progress-running")
    assert progress.bounding_box() == box, "the progress panel changed size while it filled"
    assert page.locator("#list-heading").bounding_box() == list_top, "the list moved while the progress filled"

    changes: list[Any] = page.evaluate("window.stepChanges")
    became_active = [step for step, state, _ in changes if state == "active"]
    # Every step was seen under way, in order, not only at the end (a cached image would skip "image").
    assert [s for s in STEPS if s in became_active] == STEPS, changes
    image_done = min(at for step, state, at in changes if step == "image" and state == "done")
    build_log_at = page.evaluate("window.buildLogAt")
    assert build_log_at is not None and build_log_at < image_done, "the build log came only after the build"
    assert page.evaluate("window.notReloaded") is True

    # The workspace page: the task, its state, and its output as plain text.
    page.get_by_role("link", name="Workspace details").click()
    task = page.get_by_role("button", name=re.compile("greeter"))
    expect(task).to_contain_text("running", timeout=30_000)
    expect(task).to_have_attribute("aria-pressed", "true")
    output = page.locator("#task-output")
    expect(output).to_contain_text(f"{task_marker} <b>not bold</b>", timeout=30_000)
    text = output.inner_text()
    assert "\x1b" not in text and "[1;32m" not in text, text
    assert "step 2" in text and "step 1" not in text, "the carriage-return redraw was not reduced"
    assert output.locator("b").count() == 0, "task output was parsed as HTML"
    expect(page.locator("#task-message")).to_contain_text("Live output")
    shot(page, "task-output")


def test_a_reload_mid_build_shows_the_build_log_from_its_first_line_then_live(
        page: Page, platform: RunningBerth, seeded: Seeded, git: GitDaemon) -> None:
    marker = uuid.uuid4().hex[:8]
    # printf puts the marker together at run time: the build's own command line (which the log shows too)
    # does not contain what the test looks for.
    url = repository(seeded, git, {
        ".gitpod.yml": "image:\n  file: .gitpod.Dockerfile\n",
        ".gitpod.Dockerfile": f"FROM berth/base:latest\nRUN printf 'first-%s\\n' {marker} && sleep 8 "
                              f"&& printf 'last-%s\\n' {marker}\n",
    })
    first, last = f"first-{marker}", f"last-{marker}"
    page.goto(f"{platform.url}/", wait_until="domcontentloaded")
    submit_login(page, token=platform.token)
    expect(page.locator("#who")).to_have_text("admin")
    page.get_by_label("Git repository URL").fill(url)
    page.get_by_role("button", name="Create").click()
    build_log = page.locator("#build-log")
    expect(build_log).to_contain_text(first, timeout=240_000)
    assert last not in build_log.inner_text(), "the build ended before the reload: it would prove nothing"

    page.reload(wait_until="domcontentloaded")
    progress = page.locator("#progress")
    expect(progress).to_be_visible(timeout=30_000)
    # What happened before the reload: the first build line and the steps done by then.
    expect(build_log).to_contain_text(first, timeout=30_000)
    for step in ("resolve", "config"):
        expect(page.locator(f'.step[data-step="{step}"]')).to_have_attribute("data-state", "done")
    shot(page, "progress-reloaded")
    # Then live, on the same screen: the rest of the build and the start, nothing shown twice.
    expect(build_log).to_contain_text(last, timeout=120_000)
    expect(progress).to_have_attribute("data-outcome", re.compile("^(running|failed)$"), timeout=240_000)
    assert progress.get_attribute("data-outcome") == "running", page.locator("#progress-error").inner_text()
    expect(page.locator('.step[data-step="image"] .step-detail')).to_contain_text("built")
    text = build_log.inner_text()
    assert text.count(first) == 1 and text.count(last) == 1, text
    assert text.index(first) < text.index(last), text
