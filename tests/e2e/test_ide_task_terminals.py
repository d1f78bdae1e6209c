"""The workspace's task terminals in browser VS Code, in real headless Chromium: `berth up`, a workspace whose
.gitpod.yml task prints a marker and then reads a line, the IDE opened through Berth's proxy. Berth's own
extension (ide_extension/, installed by the supervisor into every workspace) shows the task's terminal by
name in the terminal panel, with the task's output; a line typed into it reaches the task, whose answer
shows up there too. Reloading the IDE does not end the task: its terminal comes back with what it showed, still
taking input, and says so when the task ends.

Needs scripts/install-browser.sh (Chromium and the playwright package) and scripts/install-code-server.sh.
Without Chromium the test fails, saying so; it never skips. The screenshot is kept in
artifacts/ide-task-terminal.png.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.berth_process import RunningBerth
from tests.e2e.browser import (
    active_terminal,
    chromium,
    log_in,
    terminal_names,
    terminal_tab,
    terminal_text,
    wait_for_terminal_line,
    wait_for_workbench,
)
from tests.e2e.test_ide_browser import ARTIFACTS, DOMAIN, create_workspace
from tests.gitserver import BareRepo, GitDaemon, Seeded

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

TASK = "greeter"
GITPOD_YML = f"""\
tasks:
  - name: {TASK}
    command: |
      echo task-ready
      read line
      echo "got $line"
      read line
      echo "bye $line"
      exit 3
"""


def task_terminal(page: Page) -> Locator:
    """The task's terminal, opened by the extension (nobody else does), selected, with its text readable."""
    wait_for_workbench(page)
    try:
        tab = terminal_tab(page, f"Task: {TASK}", within=90)
    except PlaywrightTimeout as error:
        raise AssertionError(f"no terminal 'Task: {TASK}' in the panel, which shows {terminal_names(page)}") \
            from error
    tab.click(timeout=10_000)
    return active_terminal(page)


def type_line(page: Page, terminal: Locator, line: str) -> None:
    # A menu VS Code left open (seen after a reload) covers the terminal and would take the click: closed
    # first, with Escape going to the menu, not to the task reading the line.
    menu = page.locator(".context-view.monaco-menu-container")
    if menu.count() and menu.first.is_visible():
        page.keyboard.press("Escape")
        menu.first.wait_for(state="hidden", timeout=5_000)
    terminal.click(timeout=10_000)
    page.keyboard.type(line, delay=10)
    page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_tasks_terminal_shows_its_output_and_takes_input(platform: RunningBerth, seeded: Seeded,
                                                             git: GitDaemon, browser: Browser) -> None:
    name = f"e2e/tasks-{uuid.uuid4().hex[:8]}"
    BareRepo.create(seeded.root / f"{name}.git").commit("main", {".gitpod.yml": GITPOD_YML})
    ws = create_workspace(platform, git.url(name))
    assert ws["phase"] == "running", ws
    ide_url = f"http://{ws['id']}.ws.{DOMAIN}:{platform.port}/"

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    word = f"hello-{secrets.randbelow(90_000) + 10_000}"
    other = f"again-{secrets.randbelow(90_000) + 10_000}"
    try:
        log_in(page, f"http://{DOMAIN}:{platform.port}", token=platform.token)
        page.goto(ide_url, wait_until="domcontentloaded", timeout=30_000)
        terminal = task_terminal(page)
        # The task printed this before anyone attached: the scrollback, then the live output.
        wait_for_terminal_line(page, "task-ready")
        type_line(page, terminal, word)
        # Only the task prints "got ...": the typed word alone is the terminal echoing it.
        shown = wait_for_terminal_line(page, f"got {word}")
        assert "task-ready" in shown, shown

        # A reload detaches the window from the task, which waits on: the terminal is back, with its output.
        page.reload(wait_until="domcontentloaded", timeout=30_000)
        terminal = task_terminal(page)
        wait_for_terminal_line(page, f"got {word}")
        type_line(page, terminal, other)
        wait_for_terminal_line(page, f"bye {other}")
        wait_for_terminal_line(page, "[Berth] the task ended with exit code 3")
        terminal_tab(page, f"Task: {TASK} (ended)", within=10)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ide-task-terminal.png"))
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ide-task-terminal-failed.png"))
        print(terminal_text(page))
        raise
    finally:
        context.close()

    # The task got the line from the IDE, as its own log says (not only what the terminal showed).
    log = platform.http("GET", f"/api/workspaces/{ws['id']}/logs", params={"task": 0})
    assert log.status_code == 200, log.text
    assert f"got {word}" in log.text and f"bye {other}" in log.text, log.text
