"""Headless Chromium (Debian's /usr/bin/chromium, installed by scripts/install-browser.sh) driven by Playwright,
and the few things a test or the IDE bench does in a browser: log in on Berth's login page, wait for VS Code's
workbench, open its integrated terminal and read what it shows.

Playwright's own browser builds are never downloaded (`playwright install` is not run): the Debian build is
launched through `executable_path`. `launch()` gives every browser a fresh temporary profile
(`--user-data-dir`, removed on close): Playwright adds that flag itself and refuses it in `args`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Chromium resolves *.localhost to loopback by itself; said again so no resolver is ever asked.
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
)
WORKBENCH = ".monaco-workbench"
"""VS Code's root element: present once the workbench has rendered."""
EXPLORER_ROW = ".explorer-folders-view .monaco-list-row"


class BrowserMissing(AssertionError):
    """Chromium is not installed: the browser tests fail (never skip) and say how to install it."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian Chromium with a fresh profile, closed afterwards."""
    if not CHROMIUM.is_file():
        raise BrowserMissing(f"no {CHROMIUM}: run scripts/install-browser.sh (Debian `chromium`)")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS),
                                      timeout=60_000)


def log_in(page: Page, gateway: str, *, token: str | None = None, username: str | None = None,
           password: str | None = None, next_url: str | None = None) -> None:
    """Fill in Berth's login page (`GET /login`) on `gateway` (e.g. http://localhost:<port>) and submit it."""
    target = f"{gateway}/login" + (f"?next={next_url}" if next_url else "")
    page.goto(target, wait_until="domcontentloaded", timeout=30_000)
    if token is not None:
        page.get_by_label("Token").fill(token)
    else:
        assert username is not None and password is not None
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
    with page.expect_navigation(timeout=30_000):
        page.get_by_role("button", name="Log in").click()


def wait_for_workbench(page: Page, within: float = 90.0) -> Locator:
    """VS Code's workbench, once rendered (its element visible)."""
    workbench = page.locator(WORKBENCH)
    workbench.wait_for(state="visible", timeout=within * 1000)
    return workbench


def explorer_names(page: Page, expected: set[str], within: float = 60.0) -> set[str]:
    """The names in the explorer's file tree, read until every name in `expected` is there (or time is up)."""
    deadline = time.monotonic() + within
    names: set[str] = set()
    while time.monotonic() < deadline:
        names = {text.strip() for text in page.locator(EXPLORER_ROW).all_inner_texts()}
        if expected <= names:
            break
        page.wait_for_timeout(250)
    return names


def open_terminal(page: Page, within: float = 60.0) -> Locator:
    """Opens a new integrated terminal through the command palette (F1, "Terminal: Create New Terminal";
    its keybinding differs between VS Code builds and browsers) and returns its xterm element."""
    deadline = time.monotonic() + within
    terminal = page.locator(".terminal-wrapper.active .xterm").first
    while True:
        page.keyboard.press("Escape")
        page.keyboard.press("F1")
        palette = page.locator(".quick-input-widget input.input")
        try:
            palette.wait_for(state="visible", timeout=10_000)
            palette.fill(">Terminal: Create New Terminal")
            rows = page.locator(".quick-input-list .monaco-list-row")
            rows.first.wait_for(state="visible", timeout=10_000)
            # The rows carry their keybinding too ("…Terminal\nCtrl\n+…"): match the label's first line.
            labels = [text.split("\n", 1)[0].strip() for text in rows.all_inner_texts()]
            if "Terminal: Create New Terminal" not in labels:
                raise PlaywrightTimeout(f"no 'Terminal: Create New Terminal' in the palette: {labels}")
            rows.nth(labels.index("Terminal: Create New Terminal")).click(timeout=10_000)
            trust_if_asked(page)
            terminal.wait_for(state="visible", timeout=20_000)
            return terminal
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def trust_if_asked(page: Page, within: float = 5.0) -> bool:
    """Answers VS Code's workspace-trust question ("Creating a terminal process requires executing code")
    as the owner of their own repository does: Trust Folder & Continue. False when it was not asked."""
    trust = page.locator(".monaco-dialog-box").get_by_role("button", name="Trust Folder & Continue")
    try:
        trust.wait_for(state="visible", timeout=within * 1000)
    except PlaywrightTimeout:
        return False
    trust.click(timeout=10_000)
    return True


def terminal_text(page: Page) -> str:
    """What the terminals show: xterm's accessibility tree when it has one, else its DOM rows."""
    texts = page.locator(".xterm-accessibility-tree, .xterm-rows").all_inner_texts()
    return "\n".join(texts)


def run_in_terminal(page: Page, terminal: Locator, command: str, expect: str, within: float = 60.0) -> str:
    """Types `command` into the terminal and waits for `expect` to appear in what it shows."""
    deadline = time.monotonic() + within
    # The shell may start a moment after the terminal opens; its prompt says it reads input.
    while time.monotonic() < deadline and not re.search(r"[$#]\s*$", terminal_text(page).rstrip("\n ") + " "):
        page.wait_for_timeout(200)
    terminal.click(timeout=10_000)
    page.keyboard.type(command, delay=5)
    page.keyboard.press("Enter")
    shown = ""
    while time.monotonic() < deadline:
        shown = terminal_text(page)
        if any(line.strip() == expect for line in shown.splitlines()):
            return shown
        page.wait_for_timeout(200)
    raise AssertionError(f"{expect!r} did not appear in the terminal within {within} s; it shows:\n{shown}")
