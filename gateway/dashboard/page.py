"""The dashboard's HTML shell: static but for the asset URLs, which name their content hash."""

from __future__ import annotations

import html

from gateway.dashboard.assets import Asset

# No inline script or style and no other origin: a workspace name or URL that slipped into the page could
# not run anything. Links to workspace hosts are navigations, which the policy does not govern.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def dashboard_page(script: Asset, stylesheet: Asset) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: workspaces</title>
<link rel="stylesheet" href="{html.escape(stylesheet.url)}">
<script type="module" src="{html.escape(script.url)}"></script>
</head><body>
<header class="top"><h1>Berth</h1>
<span class="who" id="who" aria-live="polite"></span>
<button type="button" id="logout" class="quiet">Log out</button></header>
<main>
<section aria-labelledby="create-heading" class="panel">
<h2 id="create-heading">New workspace</h2>
<form id="create" novalidate>
<label for="context-url">Git repository URL</label>
<div class="create-row">
<input id="context-url" name="context_url" type="text" inputmode="url" autocomplete="off" spellcheck="false"
 required placeholder="https://github.com/owner/repo" aria-describedby="create-error">
<button type="submit" id="create-button">Create</button></div>
<p id="create-error" class="error" role="alert"></p>
</form></section>
<section aria-labelledby="list-heading" class="panel">
<h2 id="list-heading">Workspaces</h2>
<p id="list-message" role="status"></p>
<ul id="workspaces" class="workspaces" aria-labelledby="list-heading"></ul>
</section></main>
<dialog id="confirm-delete" aria-labelledby="confirm-title">
<form method="dialog">
<h2 id="confirm-title">Delete workspace?</h2>
<p>Deleting <strong id="confirm-name"></strong> removes it and its saved content for good.</p>
<div class="dialog-buttons"><button value="cancel" autofocus>Cancel</button>
<button value="delete" class="danger" id="confirm-button">Delete</button></div>
</form></dialog>
</body></html>
"""


def workspace_page(script: Asset, stylesheet: Asset, workspace_id: str, *, offer_start: bool = False) -> str:
    """One workspace: status, ports, and the timeline of every event of its stream. The live parts have
    fixed sizes (the timeline scrolls inside its own box), so updates move nothing else on the page."""
    wid = html.escape(workspace_id)
    hidden = "" if offer_start else " hidden"  # there from the first paint: nothing moves when the script runs
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: {wid}</title>
<link rel="stylesheet" href="{html.escape(stylesheet.url)}">
<script type="module" src="{html.escape(script.url)}"></script>
</head><body data-workspace="{wid}">
<header class="top"><h1><a href="/">Berth</a></h1>
<span class="who" id="who" aria-live="polite"></span>
<button type="button" id="logout" class="quiet">Log out</button></header>
<main>
<section aria-labelledby="ws-heading" class="panel workspace-head">
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
<section aria-labelledby="timeline-heading" class="panel">
<h2 id="timeline-heading">Timeline</h2>
<p id="timeline-message" class="muted" role="status"></p>
<div class="timeline-box" id="timeline-box" tabindex="0" aria-label="Timeline events">
<ol id="timeline" class="timeline" aria-labelledby="timeline-heading"></ol></div>
</section></main>
</body></html>
"""


def not_found_page(stylesheet: Asset) -> str:
    """The same for a workspace that does not exist and for another user's: nothing tells them apart."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: no such workspace</title>
<link rel="stylesheet" href="{html.escape(stylesheet.url)}">
</head><body>
<header class="top"><h1><a href="/">Berth</a></h1></header>
<main><section class="panel"><h2>No such workspace</h2>
<p>There is no workspace here for you. <a href="/">Back to your workspaces</a></p></section></main>
</body></html>
"""
