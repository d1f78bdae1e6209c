"""The dashboard's routes: the pages at `/`, `/workspaces/{id}`, `/settings` and `/admin` (for a logged-in
user; anyone else goes to the login page and is sent back afterwards), their static assets, the event stream
and a start's history for the creation panel. None is part of the API, so none carries an OpenAPI operation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from domain.errors import InvalidInput, NotFound
from gateway.auth.identity import Identity
from gateway.context import Gateway
from gateway.dashboard.assets import ASSET_PATH, asset
from gateway.dashboard.history import start_history
from gateway.dashboard.page import (
    ADMIN,
    PAGE_HEADERS,
    SETTINGS,
    Shell,
    admin_page,
    dashboard_page,
    not_found_page,
    settings_page,
    workspace_page,
)
from gateway.dashboard.stream import user_workspace_events
from gateway.openapi.operation import Endpoint
from gateway.params import int_param
from gateway.workspaces.service import WorkspaceService
from infra.readmodel.contract import Doc

SCRIPT, STYLESHEET, WORKSPACE_SCRIPT = "dashboard.js", "dashboard.css", "workspace.js"
SETTINGS_SCRIPT, ADMIN_SCRIPT = "settings.js", "admin.js"
WORKSPACE_PATH = "/workspaces/{workspace_id}"
EVENTS_PATH = "/dashboard/events"
"""Not part of the API (no OpenAPI operation): the page's own stream, see `gateway.dashboard.stream`."""
HISTORY_PATH = "/dashboard/history/{workspace_id}"
"""Not part of the API either: what the creation panel needs of a start it did not see begin."""


def login_redirect(request: Request) -> Response:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(wanted, safe='/')}", status_code=303)


def _resume_from(request: Request) -> int | None:
    """`?after=`, else the `Last-Event-ID` a reconnecting EventSource sends, else None: from now on."""
    if "after" in request.query_params:
        return int_param(request, "after", 0, 0, 2**62)
    last = request.headers.get("last-event-id", "")
    return int(last) if last.isdigit() else None


def shell(identity: Identity, script_name: str) -> Shell:
    script, stylesheet = asset(script_name), asset(STYLESHEET)
    assert script is not None and stylesheet is not None, "the dashboard's assets ship with the package"
    return Shell(script, stylesheet, identity.username, identity.is_admin)


def endpoints(gw: Gateway) -> list[Endpoint]:
    service = WorkspaceService(gw.store, gw.codec, gw.views)

    async def own_workspace(identity: Identity, workspace_id: str) -> Doc | None:
        try:
            doc = await service.get(identity, workspace_id)
        except (NotFound, InvalidInput):
            return None
        # The dashboard is the user's own: another user's workspace is as absent as one that never was
        # (admins too; the API gives them every control they need).
        return doc if str(doc["owner"]) == identity.username else None

    async def index(request: Request) -> Response:
        identity = await gw.identity(request)
        if identity is None:
            return login_redirect(request)
        # Never cached: whether the page or the login comes back depends on the session.
        return HTMLResponse(dashboard_page(shell(identity, SCRIPT)), headers=PAGE_HEADERS)

    async def settings(request: Request) -> Response:
        identity = await gw.identity(request)
        if identity is None:
            return login_redirect(request)
        return HTMLResponse(settings_page(shell(identity, SETTINGS_SCRIPT)), headers=PAGE_HEADERS)

    async def admin(request: Request) -> Response:
        identity = await gw.identity(request)
        if identity is None:
            return login_redirect(request)
        frame = shell(identity, ADMIN_SCRIPT)
        if not identity.is_admin:
            # As absent as any page that is not there: nothing says an admin page exists.
            return HTMLResponse(not_found_page(frame.stylesheet, "page"), status_code=404, headers=PAGE_HEADERS)
        return HTMLResponse(admin_page(frame), headers=PAGE_HEADERS)

    async def workspace(request: Request) -> Response:
        identity = await gw.identity(request)
        if identity is None:
            return login_redirect(request)
        frame = shell(identity, WORKSPACE_SCRIPT)
        workspace_id = request.path_params["workspace_id"]
        doc = await own_workspace(identity, workspace_id)
        if doc is None:
            return HTMLResponse(not_found_page(frame.stylesheet), status_code=404, headers=PAGE_HEADERS)
        page = workspace_page(frame, workspace_id, offer_start=request.query_params.get("start") == "1")
        return HTMLResponse(page, headers=PAGE_HEADERS)

    async def static(request: Request) -> Response:
        found = asset(request.path_params["name"])
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        # Immutable only when asked for by its current hash; an old or missing `v` is revalidated.
        cache = ("public, max-age=31536000, immutable" if request.query_params.get("v") == found.digest
                 else "no-cache")
        return Response(found.body, media_type=found.media_type, headers={
            "Cache-Control": cache, "ETag": f'"{found.digest}"', "X-Content-Type-Options": "nosniff"})

    async def events(request: Request) -> Response:
        identity = await gw.require(request)
        after = _resume_from(request)

        async def counted() -> AsyncIterator[bytes]:
            gw.live_streams += 1
            try:
                async for chunk in user_workspace_events(gw.store, gw.codec, gw.views, identity.username, after):
                    yield chunk
            finally:
                gw.live_streams -= 1

        return StreamingResponse(counted(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def history(request: Request) -> Response:
        identity = await gw.require(request)
        workspace_id = request.path_params["workspace_id"]
        doc = await own_workspace(identity, workspace_id)
        if doc is None:
            raise NotFound(f"there is no workspace {workspace_id!r}")  # a problem+json answer, as the API's
        found = await start_history(gw.store, gw.codec, workspace_id, doc.get("instance_id"))
        return JSONResponse(found, headers={"Cache-Control": "no-store"})

    return [Endpoint("/", "GET", index, None), Endpoint(WORKSPACE_PATH, "GET", workspace, None),
            Endpoint(SETTINGS, "GET", settings, None), Endpoint(ADMIN, "GET", admin, None),
            Endpoint(ASSET_PATH, "GET", static, None),
            Endpoint(EVENTS_PATH, "GET", events, None), Endpoint(HISTORY_PATH, "GET", history, None)]
