"""What most e2e modules share: one `berth up` per module, one real git daemon per module, and for the browser
tests one headless Chromium per module with a fresh context (cookies, storage) and page per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.berth_process import RunningBerth
from tests.e2e.browser import DESKTOP, chromium
from tests.gitserver import GitDaemon, Seeded


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBerth]:
    running = RunningBerth(tmp_path_factory.mktemp("berth-home"))
    yield running
    running.delete_workspaces_and_stop()


@pytest.fixture(scope="module")
def git(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    with GitDaemon(seeded.root, tmp_path_factory.mktemp("git-daemon")) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A desktop-sized browser context of the test's own: no cookie of another test's login."""
    opened = browser.new_context(viewport=DESKTOP)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
