"""The dashboard's account pages and the bad input around them, in real headless Chromium against a real
`berth up`: a password login of a user an admin created and its logout (the session dies with it); an ended
session sends the browser to the login page and back to the page it wanted; settings (an API token shown once,
listed and revoked, after which the API answers 401; an SSH key added and removed; an environment variable set
and removed); the admin page (a user created and blocked, whose session stops working at once; every user's
workspaces; the node); a non-admin gets no admin page and no link to it; pins survive a reload; the keyboard
alone creates a workspace, whose failure shows with its reason; every page fits a phone's width.

Workspaces here point at a repository the git daemon does not have, so they fail at once and need no container.
Screenshots are kept in artifacts/dashboard-*.png."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.e2e.berth_process import RunningBerth
from tests.e2e.browser import DESKTOP, session_cookie, shot, submit_login, wider_than_viewport
from tests.gitserver import GitDaemon

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

PHONE: ViewportSize = {"width": 375, "height": 812}
PASSWORD = "correct horse battery"


def new_user(platform: RunningBerth, role: str = "user") -> str:
    name = f"u{uuid.uuid4().hex[:8]}"
    created = platform.http("POST", "/api/users", json={"username": name, "role": role, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return name


def log_in_at(page: Page, platform: RunningBerth, path: str, username: str | None = None) -> None:
    """Opens `path`, is sent to the login page, logs in (as `username`, else with the admin's token) and is
    sent back to `path`."""
    page.goto(f"{platform.url}{path}", wait_until="domcontentloaded")
    assert page.url.startswith(f"{platform.url}/login?next="), page.url
    if username is None:
        submit_login(page, token=platform.token)
    else:
        submit_login(page, username=username, password=PASSWORD)
    assert page.url == f"{platform.url}{path}"


def api_with_cookie(platform: RunningBerth, page: Page, method: str, path: str) -> httpx.Response:
    """The API as the page's browser reaches it: its session cookie (and, for writes, its Origin)."""
    headers = {"Cookie": session_cookie(page), "Origin": platform.url}
    return httpx.request(method, f"{platform.url}{path}", headers=headers, timeout=30)


def failing_url(git: GitDaemon) -> str:
    """A repository the real git daemon says it does not have: the workspace fails while resolving (a
    permanent failure, not retried), with no container."""
    return git.url(f"e2e/missing-{uuid.uuid4().hex[:8]}")


def create_failing(platform: RunningBerth, git: GitDaemon, token: str | None = None) -> str:
    created = platform.http("POST", "/api/workspaces", token=token, json={"context_url": failing_url(git)})
    assert created.status_code in (200, 201, 202), created.text
    return str(created.json()["id"])


def test_password_login_then_logout_ends_the_session(context: BrowserContext, platform: RunningBerth) -> None:
    username = new_user(platform)
    page = context.new_page()
    log_in_at(page, platform, "/", username)
    expect(page.locator("#who")).to_have_text(username)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Workspaces")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Settings")).to_be_visible()
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
    cookie = session_cookie(page)
    assert httpx.get(f"{platform.url}/api/me", headers={"Cookie": cookie}).status_code == 200
    shot(page, "user-logged-in")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{platform.url}/login?next=/")
    expect(page.get_by_role("heading", name="Log in to Berth")).to_be_visible()
    assert httpx.get(f"{platform.url}/api/me", headers={"Cookie": cookie}).status_code == 401, "the session lives on"
    page.goto(f"{platform.url}/settings", wait_until="domcontentloaded")
    assert page.url == f"{platform.url}/login?next=/settings"


def test_an_ended_session_goes_to_the_login_and_back_to_the_page_wanted(context: BrowserContext,
                                                                        platform: RunningBerth) -> None:
    username = new_user(platform)
    page = context.new_page()
    log_in_at(page, platform, "/settings", username)
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    # The session ends (as one that expired): its token is revoked behind the page's back.
    sessions = [t for t in api_with_cookie(platform, page, "GET", "/api/tokens").json()["tokens"]
                if t["name"] == "session" and not t["revoked"]]
    assert len(sessions) == 1
    assert api_with_cookie(platform, page, "DELETE", f"/api/tokens/{sessions[0]['token_id']}").status_code == 204

    # The page's next API call meets a 401 and goes to the login, which brings the browser back here.
    page.get_by_label("Token name").fill("after the end")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_url(re.compile(re.escape(f"{platform.url}/login?next=") + ".*settings"))
    shot(page, "session-ended")
    submit_login(page, username=username, password=PASSWORD)
    assert page.url == f"{platform.url}/settings"
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()


def test_settings_token_shown_once_listed_and_revoked_then_401(context: BrowserContext, platform: RunningBerth) -> None:
    username = new_user(platform)
    page = context.new_page()
    log_in_at(page, platform, "/settings", username)
    name = f"ci-{uuid.uuid4().hex[:6]}"
    page.get_by_label("Token name").fill(name)
    page.get_by_role("button", name="Create token").click()
    secret_box = page.locator("#new-token-value")
    expect(secret_box).to_have_value(re.compile(r"^berth_\S+$"), timeout=10_000)
    secret = secret_box.input_value()
    row = page.locator("#tokens tr", has_text=name)
    expect(row).to_have_count(1)
    works = httpx.get(f"{platform.url}/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert works.json()["username"] == username
    shot(page, "settings-token")

    page.reload(wait_until="domcontentloaded")
    expect(page.locator("#tokens tr", has_text=name)).to_have_count(1)
    expect(page.locator("#new-token")).to_be_hidden()
    assert secret not in page.content(), "the secret was shown again"

    page.get_by_role("button", name=f"Revoke token {name}").click()
    dialog = page.get_by_role("dialog", name="Revoke token?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.locator("#tokens tr", has_text=name)).to_have_count(0, timeout=10_000)
    revoked = httpx.get(f"{platform.url}/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert revoked.status_code == 401


def test_settings_ssh_key_added_and_removed(context: BrowserContext, platform: RunningBerth, tmp_path: Path) -> None:
    username = new_user(platform)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dash@test", "-f", str(tmp_path / "k")],
                   check=True)
    public = (tmp_path / "k.pub").read_text().strip()
    fingerprint = subprocess.run(["ssh-keygen", "-lf", str(tmp_path / "k.pub")], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
    page = context.new_page()
    log_in_at(page, platform, "/settings", username)
    page.get_by_label("Public key").fill("not a key")
    page.get_by_role("button", name="Add key").click()
    expect(page.locator("#key-error")).not_to_be_empty(timeout=10_000)
    expect(page.get_by_label("Public key")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Key name (optional)").fill("laptop")
    page.get_by_label("Public key").fill(public)
    page.get_by_role("button", name="Add key").click()
    row = page.locator("#keys tr", has_text="laptop")
    expect(row).to_contain_text(fingerprint, timeout=10_000)
    expect(page.locator("#key-error")).to_be_empty()
    shot(page, "settings-ssh-key")
    page.get_by_role("button", name="Remove SSH key laptop").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0, timeout=10_000)
    assert api_with_cookie(platform, page, "GET", "/api/ssh-keys").json()["ssh_keys"] == []


def test_settings_environment_variable_set_and_removed(context: BrowserContext, platform: RunningBerth) -> None:
    username = new_user(platform)
    page = context.new_page()
    log_in_at(page, platform, "/settings", username)
    expect(page.get_by_text("the most specific wins")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("DASH_SECRET")
    page.get_by_label("Repository pattern").fill("acme/*")
    page.get_by_label("Value").fill("s3cr3t-value")
    page.get_by_role("button", name="Save variable").click()
    row = page.locator('#env-vars tr[data-name="DASH_SECRET"]')
    expect(row).to_contain_text("acme/*", timeout=10_000)
    assert "s3cr3t-value" not in page.content(), "a value is never shown back"
    listed = api_with_cookie(platform, page, "GET", "/api/env-vars").json()["env_vars"]
    assert [(v["name"], v["repository_pattern"]) for v in listed] == [("DASH_SECRET", "acme/*")]
    # A bad pattern: the server names the field, the page marks it.
    page.get_by_label("Name", exact=True).fill("OTHER")
    page.get_by_label("Repository pattern").fill("not a pattern")
    page.get_by_label("Value").fill("x")
    page.get_by_role("button", name="Save variable").click()
    expect(page.locator("#env-error")).not_to_be_empty(timeout=10_000)
    expect(page.get_by_label("Repository pattern")).to_have_attribute("aria-invalid", "true")
    shot(page, "settings-env")

    page.get_by_role("button", name="Remove DASH_SECRET for acme/*").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0, timeout=10_000)
    assert api_with_cookie(platform, page, "GET", "/api/env-vars").json()["env_vars"] == []


def test_admin_creates_and_blocks_a_user_and_sees_every_workspace_and_the_node(
        browser: Browser, context: BrowserContext, platform: RunningBerth, git: GitDaemon) -> None:
    page = context.new_page()
    log_in_at(page, platform, "/admin")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_have_attribute(
        "aria-current", "page")
    name = f"made{uuid.uuid4().hex[:6]}"
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    row = page.locator(f'#users tr[data-user="{name}"]')
    expect(row).to_contain_text("active", timeout=10_000)

    # The new user logs in elsewhere and owns a workspace; the admin sees it among everyone's.
    theirs = browser.new_context(viewport=DESKTOP)
    try:
        their_page = theirs.new_page()
        log_in_at(their_page, platform, "/", name)
        created = httpx.post(f"{platform.url}/api/workspaces", json={"context_url": failing_url(git)},
                             headers={"Cookie": session_cookie(their_page), "Origin": platform.url})
        assert created.is_success, created.text
        workspace_id = created.json()["id"]
        page.reload(wait_until="domcontentloaded")
        listed = page.locator(f'#all-workspaces tr[data-id="{workspace_id}"]')
        expect(listed).to_contain_text(name, timeout=10_000)
        node = page.locator("#nodes tr").first
        expect(node).to_contain_text(re.compile(r"\d+ / \d+"), timeout=10_000)
        shot(page, "admin")

        # Blocked, with a confirmation: their session stops working at once.
        page.locator(f'#users tr[data-user="{name}"]').get_by_role("button", name=f"Block {name}").click()
        dialog = page.get_by_role("dialog", name="Block user?")
        expect(dialog).to_contain_text(name)
        dialog.get_by_role("button", name="Block").click()
        expect(page.locator(f'#users tr[data-user="{name}"]')).to_contain_text("blocked", timeout=10_000)
        assert httpx.get(f"{platform.url}/api/me", headers={"Cookie": session_cookie(their_page)}).status_code == 401
        their_page.reload(wait_until="domcontentloaded")
        assert their_page.url.startswith(f"{platform.url}/login?next=")
    finally:
        theirs.close()


def test_a_user_gets_no_admin_page_and_no_one_elses_workspace(context: BrowserContext, platform: RunningBerth,
                                                              git: GitDaemon) -> None:
    username = new_user(platform)
    admins = create_failing(platform, git)
    page = context.new_page()
    log_in_at(page, platform, "/", username)
    answer = page.goto(f"{platform.url}/admin", wait_until="domcontentloaded")
    assert answer is not None and answer.status == 404
    assert "Users" not in page.content()
    answer = page.goto(f"{platform.url}/workspaces/{admins}", wait_until="domcontentloaded")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="No such workspace")).to_be_visible()
    assert admins not in page.content() and "git://" not in page.content()
    assert api_with_cookie(platform, page, "GET", f"/api/workspaces/{admins}").status_code == 404


def test_keyboard_alone_creates_a_workspace_whose_failure_shows_its_reason_and_pins_survive_a_reload(
        context: BrowserContext, platform: RunningBerth, git: GitDaemon) -> None:
    username = new_user(platform)
    page = context.new_page()
    log_in_at(page, platform, "/", username)
    expect(page.locator("#list-message")).to_contain_text("No workspaces yet", timeout=10_000)
    # Tab from the top of the page to the URL field, type, Enter: no mouse.
    page.locator("body").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "context-url":
            break
    assert page.evaluate("document.activeElement.id") == "context-url", "the URL field is not reachable by Tab"
    page.keyboard.type(failing_url(git))
    page.keyboard.press("Enter")
    progress = page.locator("#progress")
    expect(progress).to_be_visible()
    expect(page.locator("#progress-error")).to_contain_text("Failed: ", timeout=60_000)
    expect(page.locator('.step[data-step="resolve"]')).to_have_attribute("data-state", "failed")
    first = page.locator("li.workspace").first
    expect(first.locator(".status")).to_have_text("failed", timeout=10_000)
    expect(first.locator(".reason")).not_to_be_empty()
    shot(page, "keyboard-create-failed")

    # A second one; then the older one is pinned and moves to the top, and stays there after a reload.
    second = create_failing(platform, git, token=issue_token(platform, page))
    expect(page.locator(f'li.workspace[data-id="{second}"]')).to_be_visible(timeout=10_000)
    rows = page.locator("li.workspace")
    older = rows.nth(0).get_attribute("data-id")
    assert older and older != second
    pin = page.get_by_role("button", name=f"Pin {second}")
    expect(pin).to_have_attribute("aria-pressed", "false")
    pin.focus()
    page.keyboard.press("Enter")
    expect(pin).to_have_attribute("aria-pressed", "true", timeout=10_000)
    expect(rows.first).to_have_attribute("data-id", second)
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Pin {second}", "focus was lost"
    page.reload(wait_until="domcontentloaded")
    expect(page.locator("li.workspace").first).to_have_attribute("data-id", second, timeout=10_000)
    expect(page.get_by_role("button", name=f"Pin {second}")).to_have_attribute("aria-pressed", "true")
    assert api_with_cookie(platform, page, "GET", f"/api/workspaces/{second}").json()["pinned"] is True
    shot(page, "pinned")

    # Delete from the keyboard: the dialog opens, Escape cancels, and focus comes back to the button.
    delete = page.get_by_role("button", name=f"Delete {older}")
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Delete {older}"


def issue_token(platform: RunningBerth, page: Page) -> str:
    issued = httpx.post(f"{platform.url}/api/tokens", json={"name": "e2e"},
                        headers={"Cookie": session_cookie(page), "Origin": platform.url})
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


def test_every_page_fits_a_phone(browser: Browser, platform: RunningBerth, git: GitDaemon) -> None:
    create_failing(platform, git)
    phone = browser.new_context(viewport=PHONE)
    try:
        page = phone.new_page()
        log_in_at(page, platform, "/")
        expect(page.locator("li.workspace").first).to_be_visible(timeout=10_000)
        workspace_id = page.locator("li.workspace").first.get_attribute("data-id")
        for path, name, filled in (("/", "phone-list", "li.workspace"), ("/settings", "phone-settings", "#tokens tr"),
                                   ("/admin", "phone-admin", "#users tr"),
                                   (f"/workspaces/{workspace_id}", "phone-workspace", "#timeline li")):
            # Not "networkidle": the pages keep an event stream open.
            page.goto(f"{platform.url}{path}", wait_until="load")
            expect(page.locator(filled).first).to_be_visible(timeout=10_000)
            wide = wider_than_viewport(page)
            assert wide == [], f"{path} scrolls sideways at {PHONE['width']} px: {wide}"
            shot(page, name)
    finally:
        phone.close()
