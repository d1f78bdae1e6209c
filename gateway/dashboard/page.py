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
