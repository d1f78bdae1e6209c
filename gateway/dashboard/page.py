"""The dashboard's HTML shells: static but for the asset URLs (which name their content hash), the user's name
and whether the admin page is linked. Everything else is filled in by each page's script from the API."""

from __future__ import annotations

import html
from dataclasses import dataclass

from gateway.dashboard.assets import Asset

# No inline script or style and no other origin: a workspace name or URL that slipped into the page could
# not run anything. Links to workspace hosts are navigations, which the policy does not govern.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
"""Every HTML page's: never cached (what comes back depends on the session), and under the policy above."""


def login_headers(domain: str) -> dict[str, str]:
    """The login page's: the page policy, except that its form may lead on to the Berth hosts `next` may name
    (`gateway.auth.redirects.safe_next`): Chromium applies `form-action` to the redirect after the post, so
    `'self'` alone would stop a login on its way to a workspace's IDE."""
    policy = CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {domain}:* *.{domain}:*")
    return {**PAGE_HEADERS, "Content-Security-Policy": policy}

WORKSPACES, SETTINGS, ADMIN = "/", "/settings", "/admin"


@dataclass(frozen=True, slots=True)
class Shell:
    """What every page's frame needs: its script, the stylesheet, and who is looking."""

    script: Asset
    stylesheet: Asset
    username: str
    is_admin: bool


def _nav(shell: Shell, current: str) -> str:
    links = [(WORKSPACES, "Workspaces"), (SETTINGS, "Settings")]
    if shell.is_admin:  # others are never shown a door they cannot open
        links.append((ADMIN, "Admin"))
    current_mark = ' aria-current="page"'
    items = "".join(f'<li><a href="{href}"{current_mark if href == current else ""}>{label}</a></li>'
                    for href, label in links)
    return f'<nav aria-label="Main" class="nav"><ul>{items}</ul></nav>'


def _document(shell: Shell, title: str, current: str, main: str, body_attributes: str = "") -> str:
    # Every module the script imports is preloaded with it: one round trip instead of one per import level.
    preloads = "".join(f'<link rel="modulepreload" href="{html.escape(url)}">' for url in shell.script.imports)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: {html.escape(title)}</title>
<link rel="stylesheet" href="{html.escape(shell.stylesheet.url)}">
{preloads}<script type="module" src="{html.escape(shell.script.url)}"></script>
</head><body{body_attributes}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><h1><a href="/">Berth</a></h1>
{_nav(shell, current)}
<span class="who" id="who">{html.escape(shell.username)}</span>
<button type="button" id="logout" class="quiet">Log out</button></header>
<main id="main" tabindex="-1">
{main}
</main>
</body></html>
"""


def _confirm(dialog_id: str, title: str, text: str, action: str) -> str:
    """A confirmation dialog: `text` may hold `<strong class="subject"></strong>`, filled by the script."""
    return f"""<dialog id="{dialog_id}" aria-labelledby="{dialog_id}-title">
<form method="dialog">
<h2 id="{dialog_id}-title">{title}</h2>
<p>{text}</p>
<div class="dialog-buttons"><button value="cancel" autofocus>Cancel</button>
<button value="confirm" class="danger">{action}</button></div>
</form></dialog>"""


def _table(heading_id: str, body_id: str, columns: tuple[str, ...], *, actions: bool = False,
           scroll: bool = False) -> str:
    """A table the page's script fills (`<tbody id=body_id>`), named by its section's heading; `actions` adds a
    last column for the rows' buttons, headed for screen readers only; `scroll` lets a wide table scroll
    sideways in its own box instead of widening a phone's page."""
    headers = "".join(f'<th scope="col">{label}</th>' for label in columns)
    if actions:
        headers += '<th scope="col"><span class="visually-hidden">Actions</span></th>'
    table = (f'<table class="table" aria-labelledby="{heading_id}"><thead><tr>{headers}</tr></thead>'
             f'<tbody id="{body_id}"></tbody></table>')
    return f'<div class="table-scroll">{table}</div>' if scroll else table


_STEPS = (("resolve", "Resolving the repository"), ("config", "Reading the configuration"),
          ("image", "Preparing the image"), ("container", "Creating the container"),
          ("content", "Cloning the repository"), ("tasks", "Starting tasks and the IDE"))


def _progress() -> str:
    """The creation's progress: fixed steps (each with a line of its own) and a fixed-size build log box, so
    the panel keeps its size from the click on Create to the end."""
    steps = "".join(f'<li class="step" data-step="{key}" data-state="waiting"><span class="step-mark" '
                    f'aria-hidden="true"></span><span class="step-name">{label}</span>'
                    f'<span class="step-detail"></span></li>' for key, label in _STEPS)
    return f"""<div id="progress" class="progress" hidden>
<h3 id="progress-heading">Creating <span id="progress-id"></span></h3>
<p id="progress-status" class="progress-status" role="status" aria-live="polite"></p>
<ol id="progress-steps" class="steps" aria-labelledby="progress-heading">{steps}</ol>
<p id="progress-error" class="error" role="alert"></p>
<h4 id="build-log-heading">Image build log</h4>
<pre id="build-log" class="log build-log" tabindex="0" aria-labelledby="build-log-heading"></pre>
<p class="progress-links"><a id="progress-open" class="button" href="#">Workspace details</a>
<button type="button" id="progress-close" class="quiet">Hide progress</button></p>
</div>"""


def dashboard_page(shell: Shell) -> str:
    return _document(shell, "workspaces", WORKSPACES, f"""<section aria-labelledby="create-heading" class="panel">
<h2 id="create-heading">New workspace</h2>
<form id="create" novalidate>
<label for="context-url">Git repository URL</label>
<div class="create-row">
<input id="context-url" name="context_url" type="text" inputmode="url" autocomplete="off" spellcheck="false"
 required placeholder="https://github.com/owner/repo" aria-describedby="create-error">
<button type="submit" id="create-button">Create</button></div>
<p id="create-error" class="error" role="alert"></p>
</form>
{_progress()}</section>
<section aria-labelledby="list-heading" class="panel">
<h2 id="list-heading" tabindex="-1">Workspaces</h2>
<p id="list-message" role="status"></p>
<ul id="workspaces" class="workspaces" aria-labelledby="list-heading"></ul>
</section>
{_confirm("confirm-delete", "Delete workspace?",
          'Deleting <strong class="subject"></strong> removes it and its saved content for good.', "Delete")}""")


def workspace_page(shell: Shell, workspace_id: str, *, offer_start: bool = False) -> str:
    """One workspace: status, ports, its tasks' output and the timeline of every event of its stream. The live
    parts have fixed sizes (the timeline and the output scroll inside their own boxes), so updates move
    nothing else on the page."""
    wid = html.escape(workspace_id)
    hidden = "" if offer_start else " hidden"  # there from the first paint: nothing moves when the script runs
    return _document(shell, workspace_id, "", f"""<section aria-labelledby="ws-heading" class="panel workspace-head">
<p class="crumbs"><a href="/">Workspaces</a></p>
<h2 id="ws-heading" class="id">{wid}</h2>
<p class="context" id="context"></p>
<div class="head-row">
<div class="status-cell"><span class="status" id="status" role="status" aria-live="polite"></span>
<span class="reason" id="reason"></span></div>
<div class="actions"><a class="button primary open" id="open" target="_blank" rel="noopener"
 aria-disabled="true" tabindex="-1">Open IDE</a>
<button type="button" id="start">Start</button><button type="button" id="stop">Stop</button></div></div>
<p id="action-error" class="error" role="alert"></p>
</section>
<section aria-labelledby="start-heading" class="panel start-panel" id="start-panel"{hidden}>
<h2 id="start-heading">Start this workspace?</h2>
<p id="start-text">It is not running. Start it, and you are taken to it once it runs.</p>
<div class="dialog-buttons start-buttons"><a class="button" href="/" id="start-cancel">Not now</a>
<button type="button" class="confirm" id="start-confirm">Start workspace</button></div>
</section>
<section aria-labelledby="ports-heading" class="panel">
<h2 id="ports-heading">Ports</h2>
<ul id="ports" class="port-table" aria-labelledby="ports-heading"></ul>
</section>
<section aria-labelledby="tasks-heading" class="panel tasks-panel">
<h2 id="tasks-heading">Tasks</h2>
<ul id="tasks" class="task-list" aria-label="Tasks (choose one to see its output)"></ul>
<p id="task-message" class="muted" role="status"></p>
<pre id="task-output" class="log task-output" tabindex="0" aria-label="Output of the chosen task"></pre>
</section>
<section aria-labelledby="timeline-heading" class="panel">
<h2 id="timeline-heading">Timeline</h2>
<p id="timeline-message" class="muted" role="status"></p>
<div class="timeline-box" id="timeline-box" tabindex="0" aria-label="Timeline events">
<ol id="timeline" class="timeline" aria-labelledby="timeline-heading"></ol></div>
</section>""", f' data-workspace="{wid}"')


_PATTERNS_HELP = """<p class="help" id="env-help">A variable is set in every new workspace whose repository matches
its pattern: <code>owner/repo</code> (one repository), <code>owner/*</code> (every repository of an owner) or
<code>*/*</code> (all). When several patterns match, the most specific wins. Values are never shown again after
they are saved.</p>"""


def settings_page(shell: Shell) -> str:
    return _document(shell, "settings", SETTINGS, f"""<h2 class="page-title">Settings</h2>
<section aria-labelledby="tokens-heading" class="panel">
<h2 id="tokens-heading">API tokens</h2>
<p class="help">For the <code>berth</code> command line and scripts: send
<code>Authorization: Bearer &lt;token&gt;</code>.</p>
<form id="token-form" class="inline-form" novalidate>
<label for="token-name">Token name</label>
<div class="create-row"><input id="token-name" name="name" type="text" autocomplete="off" required
 placeholder="laptop CLI" aria-describedby="token-error">
<button type="submit">Create token</button></div>
<p id="token-error" class="error" role="alert"></p>
</form>
<div id="new-token" class="secret" hidden>
<p id="new-token-label">Your new token <strong id="new-token-name"></strong>. Copy it now: it is not shown again.</p>
<div class="create-row"><input id="new-token-value" type="text" readonly aria-labelledby="new-token-label"
 spellcheck="false">
<button type="button" id="copy-token">Copy</button></div>
<p id="copy-status" class="muted" role="status"></p>
</div>
{_table("tokens-heading", "tokens", ("Name", "Created", "Expires"), actions=True)}
</section>
<section aria-labelledby="keys-heading" class="panel">
<h2 id="keys-heading">SSH keys</h2>
<p class="help">Log in to a workspace with
<code>ssh &lt;workspace id&gt;@&lt;this host&gt; -p &lt;SSH port&gt;</code>.</p>
<form id="key-form" class="inline-form" novalidate>
<label for="key-name">Key name (optional)</label>
<input id="key-name" name="name" type="text" autocomplete="off" placeholder="work laptop">
<label for="key-value">Public key</label>
<textarea id="key-value" name="public_key" rows="3" required spellcheck="false"
 placeholder="ssh-ed25519 AAAA… you@host" aria-describedby="key-error"></textarea>
<button type="submit">Add key</button>
<p id="key-error" class="error" role="alert"></p>
</form>
{_table("keys-heading", "keys", ("Name", "Fingerprint", "Added"), actions=True)}
</section>
<section aria-labelledby="ide-heading" class="panel">
<h2 id="ide-heading">IDE</h2>
<form id="ide-form" class="inline-form" novalidate>
<label for="ide-choice">New workspaces open in</label>
<div class="create-row"><select id="ide-choice" name="ide">
<option value="">Berth's default (VS Code in the browser)</option>
<option value="vscode">VS Code in the browser</option>
<option value="none">No browser IDE (SSH only)</option></select>
<button type="submit">Save</button></div>
<p id="ide-status" class="muted" role="status"></p>
<p id="ide-error" class="error" role="alert"></p>
</form>
</section>
<section aria-labelledby="env-heading" class="panel">
<h2 id="env-heading">Environment variables</h2>
{_PATTERNS_HELP}
<form id="env-form" class="inline-form env-form" novalidate>
<div><label for="env-name">Name</label>
<input id="env-name" name="name" type="text" autocomplete="off" spellcheck="false" required placeholder="NPM_TOKEN"
 aria-describedby="env-error"></div>
<div><label for="env-pattern">Repository pattern</label>
<input id="env-pattern" name="repository_pattern" type="text" autocomplete="off" spellcheck="false" required
 value="*/*" aria-describedby="env-help env-error"></div>
<div><label for="env-value">Value</label>
<input id="env-value" name="value" type="password" autocomplete="off" required aria-describedby="env-error"></div>
<div class="form-end"><button type="submit">Save variable</button></div>
<p id="env-error" class="error" role="alert"></p>
</form>
{_table("env-heading", "env-vars", ("Name", "Repository pattern", "Updated"), actions=True)}
<p id="env-message" class="muted" role="status"></p>
</section>
{_confirm("confirm-revoke", "Revoke token?",
          'Anything using <strong class="subject"></strong> stops working at once.', "Revoke")}
{_confirm("confirm-remove", "Remove?", 'Remove <strong class="subject"></strong>?', "Remove")}""")


def admin_page(shell: Shell) -> str:
    return _document(shell, "admin", ADMIN, f"""<h2 class="page-title">Admin</h2>
<section aria-labelledby="users-heading" class="panel">
<h2 id="users-heading">Users</h2>
<form id="user-form" class="inline-form user-form" novalidate>
<div><label for="user-name">Username</label>
<input id="user-name" name="username" type="text" autocomplete="off" spellcheck="false" required
 aria-describedby="user-error"></div>
<div><label for="user-password">Password</label>
<input id="user-password" name="password" type="password" autocomplete="new-password" required
 aria-describedby="user-error"></div>
<div><label for="user-role">Role</label>
<select id="user-role" name="role"><option value="user">user</option><option value="admin">admin</option></select></div>
<div class="form-end"><button type="submit">Create user</button></div>
<p id="user-error" class="error" role="alert"></p>
</form>
{_table("users-heading", "users", ("Username", "Role", "Status", "Created"), actions=True)}
</section>
<section aria-labelledby="all-heading" class="panel">
<h2 id="all-heading">All workspaces</h2>
<p id="all-message" class="muted" role="status"></p>
{_table("all-heading", "all-workspaces", ("Workspace", "Owner", "Phase", "Node", "Pinned"), scroll=True)}
</section>
<section aria-labelledby="nodes-heading" class="panel">
<h2 id="nodes-heading">Nodes</h2>
<p id="nodes-message" class="muted" role="status"></p>
{_table("nodes-heading", "nodes", ("Node", "CPUs", "Memory", "Running / capacity", "Registered"), scroll=True)}
</section>
{_confirm("confirm-block", "Block user?",
          'Blocking <strong class="subject"></strong> ends every session and token of theirs at once.', "Block")}""")


def not_found_page(stylesheet: Asset, what: str = "workspace") -> str:
    """The same for a workspace that does not exist and for another user's: nothing tells them apart."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: no such {html.escape(what)}</title>
<link rel="stylesheet" href="{html.escape(stylesheet.url)}">
</head><body>
<header class="top"><h1><a href="/">Berth</a></h1></header>
<main><section class="panel"><h2>No such {html.escape(what)}</h2>
<p>There is no {html.escape(what)} here for you. <a href="/">Back to your workspaces</a></p></section></main>
</body></html>
"""
