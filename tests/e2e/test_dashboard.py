"""The dashboard as a user meets it, in real headless Chromium (Debian's, driven by Playwright) against a real
`berth up`: the login page first, then the workspace list; a workspace created from a repository on a real
git daemon turns `running` on screen without a reload, is stopped and deleted from the page; one created and
deleted through the API comes and goes on screen too; an invalid git URL is refused inline and creates nothing.
A workspace's own page shows its timeline growing live while it starts; stopped, its IDE URL shows a page
with a link that starts it from the dashboard (after a confirming click) and lands in VS Code; another user
gets a 404 page for it.
Screenshots are kept in artifacts/dashboard-*.png.

Needs scripts/install-browser.sh (Chromium and the playwright package); without Chromium the test fails,
saying so, and never skips."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.e2e.berth_process import RunningBerth, other_user_token, repository
from tests.e2e.browser import DESKTOP, log_in, shot, submit_login, wait_for_workbench
from tests.gitserver import BareRepo, GitDaemon, Seeded

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

PHONE: ViewportSize = {"width": 390, "height": 844}


def logged_in(page: Page, platform: RunningBerth) -> None:
    """Opens the dashboard, is sent to the login page, logs in with the token and is sent back."""
    page.goto(f"{platform.url}/", wait_until="domcontentloaded")
    assert page.url == f"{platform.url}/login?next=/"
    submit_login(page, token=platform.token)
    assert page.url == f"{platform.url}/"
    expect(page.get_by_role("heading", name="Workspaces")).to_be_visible()
    expect(page.locator("#who")).to_have_text("admin", timeout=10_000)


def own_workspaces(platform: RunningBerth) -> list[str]:
    return [ws["id"] for ws in platform.get("/api/workspaces").json()["workspaces"]]


def test_the_dashboard_needs_a_login_and_serves_its_assets(platform: RunningBerth) -> None:
    anonymous = httpx.get(f"{platform.url}/", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/"
    page = platform.get("/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "/dashboard/assets/dashboard.js?v=" in page.text
    script = httpx.get(f"{platform.url}/dashboard/assets/dashboard.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{platform.url}/dashboard/assets/..%2Fpage.py").status_code == 404
    assert httpx.get(f"{platform.url}/dashboard/assets/nothing.js").status_code == 404


def test_an_invalid_git_url_is_refused_inline_and_creates_nothing(page: Page, platform: RunningBerth) -> None:
    before = own_workspaces(platform)
    logged_in(page, platform)
    page.get_by_label("Git repository URL").fill("not a repository")
    page.get_by_role("button", name="Create").click()
    error = page.locator("#create-error")
    expect(error).not_to_be_empty(timeout=10_000)
    problem = platform.http("POST", "/api/workspaces", json={"context_url": "not a repository"}).json()
    expect(error).to_have_text(problem["detail"])
    expect(page.get_by_label("Git repository URL")).to_have_attribute("aria-invalid", "true")
    shot(page, "invalid-url")
    assert own_workspaces(platform) == before


def test_create_watch_running_stop_and_delete_live(page: Page, platform: RunningBerth, seeded: Seeded,
                                                   git: GitDaemon) -> None:
    name = f"e2e/dash-{uuid.uuid4().hex[:8]}"
    BareRepo.create(seeded.root / f"{name}.git").commit("main", {"README.md": "the dashboard's repo\n"})
    logged_in(page, platform)
    # Set on the page's window: a reload or navigation would lose it, so it proves the updates came live.
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Git repository URL").fill(git.url(name))
    page.get_by_role("button", name="Create").click()
    row = page.locator("li.workspace").last
    expect(row).to_be_visible(timeout=15_000)
    workspace_id = row.get_attribute("data-id")
    assert workspace_id and workspace_id in own_workspaces(platform)
    status = row.locator(".status")
    cell = row.locator(".status-cell").bounding_box()
    shot(page, "starting")

    expect(status).to_have_text(re.compile("^(running|failed)$"), timeout=240_000)
    assert status.inner_text() == "running", f"failed: {row.locator('.reason').inner_text()}"
    assert row.locator(".status-cell").bounding_box() == cell, "the status cell moved or changed size"
    open_ide = row.get_by_role("link", name=f"Open IDE of {workspace_id}")
    expect(open_ide).to_have_attribute("href", f"http://{workspace_id}.ws.{platform.domain}:{platform.port}/")
    shot(page, "running")
    page.set_viewport_size(PHONE)
    shot(page, "phone")
    page.set_viewport_size(DESKTOP)

    row.get_by_role("button", name=f"Stop {workspace_id}").click()
    expect(status).to_have_text("stopped", timeout=180_000)
    expect(row.get_by_role("button", name=f"Start {workspace_id}")).to_be_enabled()
    shot(page, "stopped")
    assert page.evaluate("window.notReloaded") is True

    # Made elsewhere (the API, as the CLI does): the page learns of it from its stream, and of its deletion.
    other = platform.http("POST", "/api/workspaces", json={"context_url": git.url(name)}).json()["id"]
    other_row = page.locator(f'li.workspace[data-id="{other}"]')
    expect(other_row).to_be_visible(timeout=15_000)
    assert platform.http("DELETE", f"/api/workspaces/{other}").is_success
    expect(other_row).to_have_count(0, timeout=15_000)

    row.get_by_role("button", name=f"Delete {workspace_id}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    shot(page, "confirm-delete")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator(f'li.workspace[data-id="{workspace_id}"]')).to_have_count(0, timeout=15_000)
    assert platform.get(f"/api/workspaces/{workspace_id}").status_code == 404


def test_workspace_page_timeline_and_starting_a_stopped_ide_from_its_url(
        browser: Browser, platform: RunningBerth, seeded: Seeded, git: GitDaemon) -> None:
    """The workspace page with its timeline growing live while the workspace starts; stopped from there; its
    IDE URL then shows the stopped page with a link that starts it from the dashboard and lands in VS Code.
    On `platform.domain` (berth.localhost), whose login cookie reaches the workspace hosts."""
    gateway = f"http://{platform.domain}:{platform.port}"
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        log_in(page, gateway, token=platform.token)
        url = repository(seeded, git, {"README.md": "the timeline's repo\n"})
        workspace_id = platform.http("POST", "/api/workspaces", json={"context_url": url}).json()["id"]
        ide_url = f"http://{workspace_id}.ws.{platform.domain}:{platform.port}/"

        page.goto(f"{gateway}/workspaces/{workspace_id}", wait_until="domcontentloaded")
        page.evaluate("window.notReloaded = true")
        expect(page.get_by_role("heading", name=workspace_id)).to_be_visible()
        events = page.locator("#timeline li.event")
        expect(events.first).to_contain_text(f"created from {url}", timeout=10_000)
        early = events.count()
        box = page.locator("#timeline-box").bounding_box()
        ports = page.locator("#ports-heading").bounding_box()
        shot(page, "workspace-starting")

        status = page.locator("#status")
        expect(status).to_have_text(re.compile("^(running|failed)$"), timeout=240_000)
        assert status.inner_text() == "running", page.locator("#reason").inner_text()
        what = page.locator("#timeline .what")
        expect(what.filter(has_text=re.compile(r"^running$"))).to_have_count(1, timeout=10_000)
        expect(what.filter(has_text=re.compile(r"^image ready \((cached|built)\)$"))).to_have_count(1)
        expect(what.filter(has_text=re.compile(r"^content from \S+: [\d.]+ [kMG]?B in [\d.]+ s$"))).to_have_count(1)
        assert events.count() > early, "the timeline did not grow while the workspace started"
        assert page.evaluate("window.notReloaded") is True
        assert page.locator("#timeline-box").bounding_box() == box, "the timeline moved or changed size"
        assert page.locator("#ports-heading").bounding_box() == ports, "the page moved on live updates"
        first = events.first
        expect(first.locator(".actor")).to_have_text("admin")
        assert first.locator("time").get_attribute("datetime")
        shot(page, "workspace-running")

        page.get_by_role("button", name="Stop", exact=True).click()
        expect(status).to_have_text("stopped", timeout=180_000)
        expect(what.filter(has_text="stopping: stopped by admin")).to_have_count(1, timeout=10_000)
        shot(page, "workspace-stopped")
        assert page.evaluate("window.notReloaded") is True

        # The IDE URL of the stopped workspace: a page saying so, with the reason, linking to the start.
        shown = page.goto(ide_url, wait_until="domcontentloaded")
        assert shown is not None and shown.status == 503
        expect(page.get_by_role("heading", name="The workspace is not running")).to_be_visible()
        expect(page.get_by_text(f"Workspace {workspace_id} is stopped.")).to_be_visible()
        link = page.get_by_role("link", name="Start workspace")
        expect(link).to_have_attribute("href", f"{gateway}/workspaces/{workspace_id}?start=1")
        shot(page, "ide-stopped")
        link.click()
        page.wait_for_url(f"{gateway}/workspaces/{workspace_id}?start=1")
        confirm = page.get_by_role("button", name="Start workspace")
        expect(confirm).to_be_enabled(timeout=10_000)
        assert platform.get(f"/api/workspaces/{workspace_id}").json()["phase"] == "stopped", "started on a GET"
        shot(page, "workspace-start-offer")
        confirm.click()
        page.wait_for_url(re.compile("^" + re.escape(ide_url)), timeout=240_000)  # code-server adds ?folder=
        wait_for_workbench(page)
        shot(page, "ide-after-start")
    except BaseException:
        shot(page, "workspace-failed")
        raise
    finally:
        context.close()

    # Another user asking for this workspace's page gets the page of a workspace that does not exist.
    stranger = browser.new_context(viewport=DESKTOP)
    try:
        other = stranger.new_page()
        log_in(other, gateway, token=other_user_token(platform))
        answer = other.goto(f"{gateway}/workspaces/{workspace_id}", wait_until="domcontentloaded")
        assert answer is not None and answer.status == 404
        expect(other.get_by_role("heading", name="No such workspace")).to_be_visible()
        assert workspace_id not in other.content()
    finally:
        stranger.close()
