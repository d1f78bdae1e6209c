"""Headless Chromium (Debian's /usr/bin/chromium, installed by scripts/install-browser.sh) driven by Playwright,
and the few things a test or the IDE bench does in a browser: log in on Berth's login page, wait for VS Code's
workbench, open its integrated terminal and read what it shows.

Playwright's own browser builds are never downloaded (`playwright install` is not run): the Debian build is
launched through `executable_path`. `launch()` gives every browser a fresh temporary profile
(`--user-data-dir`, removed on close): Playwright adds that flag itself and refuses it in `args`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, Response, ViewportSize, sync_playwright
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
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
"""The window the dashboard tests' pages open in (conftest's `context` and `page`)."""
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
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


def shot(page: Page, name: str) -> None:
    """Keeps what the page shows, whole, as artifacts/dashboard-<name>.png (for a person to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS),
                                      timeout=60_000)


def log_in(page: Page, gateway: str, *, token: str | None = None, username: str | None = None,
           password: str | None = None) -> Response | None:
    """Opens Berth's login page on `gateway` (e.g. http://localhost:<port>) and logs in there."""
    page.goto(f"{gateway}/login", wait_until="domcontentloaded", timeout=30_000)
    return submit_login(page, token=token, username=username, password=password)


def submit_login(page: Page, *, token: str | None = None, username: str | None = None,
                 password: str | None = None) -> Response | None:
    """Fills in the login page the browser shows (with a token, or a username and password) and submits it;
    returns the response of the page the login sends the browser to (its `next`)."""
    page.get_by_role("heading", name="Log in to Berth").wait_for(timeout=30_000)
    if token is not None:
        page.get_by_label("Token").fill(token)
    else:
        assert username is not None and password is not None, "a token, or a username and password"
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
    with page.expect_navigation(wait_until="domcontentloaded", timeout=30_000) as navigation:
        page.get_by_role("button", name="Log in").click()
    return navigation.value


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


def run_command(page: Page, label: str, within: float = 30.0) -> None:
    """Runs a command of VS Code's command palette (F1) by its exact label, e.g. "Terminal: Create New Terminal"."""
    deadline = time.monotonic() + within
    while True:
        page.keyboard.press("Escape")
        page.keyboard.press("F1")
        palette = page.locator(".quick-input-widget input.input")
        rows = page.locator(".quick-input-list .monaco-list-row")
        try:
            palette.wait_for(state="visible", timeout=10_000)
            palette.fill(f">{label}")
            rows.first.wait_for(state="visible", timeout=10_000)
            # A row shows its keybinding after the label ("…Terminal\nCtrl\n+…"): compare the first line.
            labels = [text.split("\n", 1)[0].strip() for text in rows.all_inner_texts()]
            if label not in labels:
                raise PlaywrightTimeout(f"no {label!r} in the command palette, which offers {labels}")
            rows.nth(labels.index(label)).click(timeout=10_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def open_terminal(page: Page, within: float = 60.0) -> Locator:
    """Opens a new integrated terminal and returns its xterm element.

    The terminal draws on a canvas, so its text is not in the DOM; VS Code's screen reader mode makes xterm
    keep an accessibility tree of its lines, which is what `terminal_text` reads. The terminal is created from
    the command palette: its keybinding (Ctrl+`, Ctrl+Shift+C) differs between VS Code builds and browsers."""
    run_command(page, "Terminal: Create New Terminal")
    return active_terminal(page, within)


def active_terminal(page: Page, within: float = 60.0) -> Locator:
    """The active integrated terminal's xterm element, with screen reader mode on (see `open_terminal`)."""
    terminal = page.locator(".terminal-wrapper.active .xterm").first
    terminal.wait_for(state="visible", timeout=within * 1000)
    tree = page.locator(".terminal-wrapper.active .xterm-accessibility-tree")
    try:
        tree.wait_for(state="attached", timeout=3_000)
    except PlaywrightTimeout:
        # A toggle, and the mode is kept in the IDE's user settings: switched on only when it is off.
        run_command(page, "Toggle Screen Reader Accessibility Mode")
        tree.wait_for(state="attached", timeout=within * 1000)
    return terminal


TERMINAL_TAB = ".terminal-tabs-entry, .single-terminal-tab"
"""A terminal's entry in the panel: in its tabs list, or in its title while it is the only terminal."""


def terminal_tab(page: Page, name: str, within: float = 60.0) -> Locator:
    """The terminal panel's entry of the terminal whose name contains `name`, once it is visible."""
    tab = page.locator(TERMINAL_TAB, has_text=name).first
    tab.wait_for(state="visible", timeout=within * 1000)
    return tab


def terminal_names(page: Page) -> list[str]:
    """What the terminal panel's entries say (for messages)."""
    return [text.strip() for text in page.locator(TERMINAL_TAB).all_inner_texts()]


def wait_for_terminal_line(page: Page, expect: str, within: float = 60.0) -> str:
    """What the active terminal shows, once a line of it is exactly `expect`."""
    deadline = time.monotonic() + within
    shown = ""
    while time.monotonic() < deadline:
        shown = terminal_text(page)
        if any(line.strip() == expect for line in shown.splitlines()):
            return shown
        page.wait_for_timeout(200)
    raise AssertionError(f"{expect!r} did not appear in the terminal within {within} s; it shows:\n{shown}")


def terminal_text(page: Page) -> str:
    """What the active terminal shows, read from xterm's accessibility tree (see `open_terminal`)."""
    texts = page.locator(".terminal-wrapper.active .xterm-accessibility-tree").all_inner_texts()
    return "\n".join(texts)


def run_in_terminal(page: Page, terminal: Locator, command: str, expect: str, within: float = 60.0) -> str:
    """Types `command` into the terminal and waits for a line that is exactly `expect` in what it shows."""
    deadline = time.monotonic() + within
    # The shell starts a moment after the terminal opens; its prompt says it reads input.
    while time.monotonic() < deadline and not _prompt(terminal_text(page)):
        page.wait_for_timeout(200)
    terminal.click(timeout=10_000)
    # Keys typed while the terminal is still connecting can be lost: the command line must read back whole
    # before it is run (Ctrl+U clears a partial one for another try).
    while True:
        page.keyboard.type(command, delay=10)
        # A long command line wraps onto the next row of the terminal.
        typed = _until(page, lambda: command in terminal_text(page).replace("\n", ""),
                       min(5.0, max(deadline - time.monotonic(), 0.1)))
        if typed:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"the terminal did not take {command!r}; it shows:\n{terminal_text(page)}")
        page.keyboard.press("Control+U")
    page.keyboard.press("Enter")
    return wait_for_terminal_line(page, expect, max(deadline - time.monotonic(), 0.1))


def _prompt(text: str) -> bool:
    return any(line.rstrip().endswith(("$", "#")) for line in text.splitlines())


def _until(page: Page, check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(100)
    return True


def wider_than_viewport(page: Page) -> list[str]:
    """The elements that stick out of the viewport on the right (a phone user would have to scroll sideways
    to see them), as `tag#id.class right-edge`; empty when the page fits."""
    return list(page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        return [...document.body.querySelectorAll("*")]
            .filter((e) => e.getBoundingClientRect().right > width + 0.5)
            .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} `
                        + Math.round(e.getBoundingClientRect().right))
            .slice(-6);
    }"""))


def session_cookie(page: Page) -> str:
    """The `Cookie` header value the page's browser sends to Berth: to try the session outside the browser."""
    return "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies() if c["name"].startswith("berth"))
