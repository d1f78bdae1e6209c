"""The dashboard's pages and assets: modules import each other by hashed URL (so a change reaches a cached
importer), every page preloads what its script imports, the admin link is for admins only, and what comes
from users (names) is escaped."""

from __future__ import annotations

import re

import pytest

from gateway.dashboard.assets import asset, link_modules
from gateway.dashboard.page import Shell, admin_page, dashboard_page, login_headers, settings_page, workspace_page
from gateway.routes.login import login_page


def shell(script: str, *, username: str = "alice", is_admin: bool = False) -> Shell:
    found, stylesheet = asset(script), asset("dashboard.css")
    assert found is not None and stylesheet is not None
    return Shell(found, stylesheet, username, is_admin)


def test_an_import_names_the_imported_modules_hash_and_a_change_there_changes_the_importer() -> None:
    files = {"common.js": b"export const a = 1;\n", "page.js": b'import { a } from "./common.js";\n',
             "app.js": b"import { x } from './page.js';\n", "style.css": b"body{}"}
    first = link_modules(files)
    assert first["page.js"].body.decode() == f'import {{ a }} from "{first["common.js"].url}";\n'
    assert first["app.js"].imports == (first["common.js"].url, first["page.js"].url)
    changed = link_modules({**files, "common.js": b"export const a = 2;\n"})
    assert changed["page.js"].digest != first["page.js"].digest
    assert changed["app.js"].digest != first["app.js"].digest, "a change two imports down reaches the top"


def test_an_import_of_a_missing_module_or_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="not shipped"):
        link_modules({"a.js": b'import "x" from "./gone.js";'})
    with pytest.raises(ValueError, match="cycle"):
        link_modules({"a.js": b'export * from "./b.js";', "b.js": b'export * from "./a.js";'})


def test_the_shipped_modules_are_linked_and_preloaded() -> None:
    common = asset("common.js")
    assert common is not None
    for name in ("dashboard.js", "workspace.js", "settings.js", "admin.js"):
        script = asset(name)
        assert script is not None
        assert '"./' not in script.body.decode(), f"{name} has an import left unversioned"
        assert common.url in script.imports
    page = dashboard_page(shell("dashboard.js"))
    for url in shell("dashboard.js").script.imports:
        assert f'<link rel="modulepreload" href="{url.replace("&", "&amp;")}">' in page


def test_the_admin_link_is_shown_to_admins_only_and_the_current_page_is_marked() -> None:
    assert 'href="/admin"' not in dashboard_page(shell("dashboard.js"))
    admin = settings_page(shell("settings.js", is_admin=True))
    assert 'href="/admin"' in admin
    assert re.search(r'<a href="/settings" aria-current="page">Settings</a>', admin)
    assert 'aria-current="page">Admin<' in admin_page(shell("admin.js", is_admin=True))


def test_names_are_escaped_and_no_page_has_inline_script_or_style() -> None:
    pages = [dashboard_page(shell("dashboard.js", username="<b>x</b>")),
             workspace_page(shell("workspace.js"), "a<b"), settings_page(shell("settings.js")),
             admin_page(shell("admin.js", is_admin=True))]
    assert "&lt;b&gt;x&lt;/b&gt;" in pages[0] and "<b>x</b>" not in pages[0]
    assert "a&lt;b" in pages[1]
    for page in pages:
        assert page.count("<script") == 1 and "<style" not in page and " style=" not in page
        assert re.search(r"<script type=\"module\" src=\"/dashboard/assets/\w+\.js\?v=[0-9a-f]{16}\"></script>", page)


def test_the_login_page_wears_the_dashboards_stylesheet_and_escapes_what_it_echoes() -> None:
    stylesheet = asset("dashboard.css")
    assert stylesheet is not None
    page = login_page('/x"><script>', "wrong <username>")
    assert f'href="{stylesheet.url}"' in page.replace("&amp;", "&")
    assert "<script" not in page and " style=" not in page
    assert "&quot;&gt;&lt;script&gt;" in page and "wrong &lt;username&gt;" in page


def test_the_login_form_may_lead_on_to_berths_hosts_only() -> None:
    policy = login_headers("berth.localhost")["Content-Security-Policy"]
    assert "form-action 'self' berth.localhost:* *.berth.localhost:*;" in policy
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
