"""Workspaces: create, list, read, start, stop, delete, pin, port visibility, and (admins) everyone's."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import InvalidInput
from domain.workspace.decider import DEFAULT_IDE, check_ide
from gateway.auth.identity import Identity
from gateway.bodies import object_body, only_fields, required_string, string_field
from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Param, Reply, problem_reply, ref
from gateway.params import int_param
from gateway.workspaces.service import WorkspaceService
from gateway.workspaces.view import Urls, workspace_view
from infra.readmodel.contract import Doc

_NOT_FOUND = problem_reply(404, "No such workspace, or not yours.")


def endpoints(gw: Gateway) -> list[Endpoint]:
    service = WorkspaceService(gw.store, gw.codec, gw.views)

    def view(doc: Doc, identity: Identity) -> dict[str, Any]:
        shown = workspace_view(doc, Urls(gw.domain, gw.public_port, gw.ide_port), internals=identity.is_admin)
        return {**shown, "ide": doc.get("ide") or DEFAULT_IDE}  # documents from before the IDE choice: vscode

    async def create_workspace(request: Request) -> Response:
        identity = await gw.require(request)
        body = await object_body(request)
        only_fields(body, "context_url", "workspace_class", "ide")
        ide = body.get("ide")
        doc = await service.create(identity, required_string(body, "context_url"),
                                   string_field(body, "workspace_class") or "default",
                                   None if ide is None else check_ide(ide))
        return JSONResponse(view(doc, identity), status_code=201,
                            headers={"Location": f"/api/workspaces/{doc['id']}"})

    async def list_workspaces(request: Request) -> Response:
        identity = await gw.require(request)
        docs = await service.list(identity, request.query_params.get("owner"), request.query_params.get("phase"))
        return JSONResponse({"workspaces": [view(d, identity) for d in docs]})

    async def get_workspace(request: Request) -> Response:
        identity = await gw.require(request)
        min_version = int_param(request, "min_version", 0, 0, 2**62)
        return JSONResponse(view(await service.get(identity, request.path_params["workspace_id"], min_version),
                                 identity))

    async def start_workspace(request: Request) -> Response:
        identity = await gw.require(request)
        doc = await service.start(identity, request.path_params["workspace_id"])
        return JSONResponse(view(doc, identity), status_code=202)

    async def stop_workspace(request: Request) -> Response:
        identity = await gw.require(request)
        outcome = await service.stop(identity, request.path_params["workspace_id"])
        # 202 while stopping is under way (now or already); 200 when there is nothing left to stop.
        status = 202 if outcome.doc.get("phase") == "stopping" else 200
        return JSONResponse(view(outcome.doc, identity), status_code=status)

    async def delete_workspace(request: Request) -> Response:
        identity = await gw.require(request)
        workspace_id = request.path_params["workspace_id"]
        cleanup = await service.delete(identity, workspace_id)
        gw.workspaces.invalidate(workspace_id)
        return JSONResponse({"id": workspace_id, "deleted": True, "cleanup": cleanup},
                            status_code=202 if cleanup else 200)

    async def set_pinned(request: Request) -> Response:
        identity = await gw.require(request)
        body = await object_body(request)
        only_fields(body, "pinned")
        pinned = body.get("pinned")
        if not isinstance(pinned, bool):
            raise InvalidInput(f"pinned must be true or false, got {pinned!r}", field="pinned")
        doc = await service.set_pinned(identity, request.path_params["workspace_id"], pinned)
        return JSONResponse(view(doc, identity))

    async def all_workspaces(request: Request) -> Response:
        identity = await gw.require_admin(request)
        return JSONResponse({"workspaces": [view(d, identity) for d in await service.everyone()]})

    async def set_port_visibility(request: Request) -> Response:
        identity = await gw.require(request)
        workspace_id = request.path_params["workspace_id"]
        body = await object_body(request)
        only_fields(body, "visibility")
        doc = await service.set_port_visibility(identity, workspace_id, request.path_params["port"],
                                                required_string(body, "visibility"))
        gw.workspaces.invalidate(workspace_id)
        port = request.path_params["port"]
        shown = next((p for p in view(doc, identity)["ports"] if p["port"] == port), None)
        return JSONResponse(shown)

    one = "/api/workspaces/{workspace_id}"
    return [
        Endpoint("/api/workspaces", "POST", create_workspace, Operation(
            "Create a workspace from a context URL and start its first instance", "workspaces",
            (Reply(201, "Created; the instance is pending.", ref("Workspace")),
             problem_reply(422, "A bad field, e.g. an invalid `context_url` (named in `field`); nothing is created.")),
            body=ref("CreateWorkspace"))),
        Endpoint("/api/workspaces", "GET", list_workspaces, Operation(
            "Workspaces: your own, or everyone's for admins", "workspaces",
            (Reply(200, "The workspaces, oldest first.", ref("WorkspaceList")),
             problem_reply(422, "A bad `phase`.")),
            params=(Param("owner", "query", {"type": "string"}, "Only this owner's."),
                    Param("phase", "query", {"type": "string"},
                          "Only those in this instance phase (`none`: never started).")))),
        Endpoint(one, "GET", get_workspace, Operation(
            "One workspace", "workspaces", (Reply(200, "The workspace.", ref("Workspace")), _NOT_FOUND),
            params=(Param("min_version", "query", {"type": "integer", "minimum": 0},
                          "Read your writes: the answer includes at least the workspace's event of this version "
                          "(e.g. the last one a client saw on its event stream)."),))),
        Endpoint(one + "/start", "POST", start_workspace, Operation(
            "Start a new instance", "workspaces",
            (Reply(202, "Requested; the instance is pending.", ref("Workspace")), _NOT_FOUND,
             problem_reply(409, "An instance is already active (or a racing start won).")))),
        Endpoint(one + "/stop", "POST", stop_workspace, Operation(
            "Stop the active instance (its /workspace is backed up first)", "workspaces",
            (Reply(202, "Stopping.", ref("Workspace")),
             Reply(200, "Nothing to stop: the workspace as it is.", ref("Workspace")), _NOT_FOUND))),
        Endpoint(one, "DELETE", delete_workspace, Operation(
            "Delete a workspace, running or not", "workspaces",
            (Reply(200, "Deleted.", ref("Deleted")),
             Reply(202, "Deleted; its running instance is being removed by its node.", ref("Deleted")), _NOT_FOUND))),
        Endpoint(one + "/pinned", "PUT", set_pinned, Operation(
            "Pin or unpin a workspace", "workspaces",
            (Reply(200, "The workspace (pinning what is pinned changes nothing).", ref("Workspace")), _NOT_FOUND,
             problem_reply(422, "A bad body: `pinned` missing or not a boolean, or another field.")),
            body=ref("Pinned"),
            description="A pinned workspace is kept however long it stays stopped; an unpinned one is deleted "
                        "once it has been stopped (or failed) for the retention period (`BERTH_RETENTION_DAYS`, "
                        "14 days by default), and the deletion's reason says so.")),
        Endpoint("/api/admin/workspaces", "GET", all_workspaces, Operation(
            "Every user's workspaces, most recently updated first (admins)", "workspaces",
            (Reply(200, "The workspaces, with their owner, phase, node and pin.", ref("WorkspaceList")),
             problem_reply(403, "Not an admin.")))),
        Endpoint(one + "/ports/{port:int}", "PATCH", set_port_visibility, Operation(
            "Make a port public or private", "workspaces",
            (Reply(200, "The port.", ref("Port")), _NOT_FOUND,
             problem_reply(422, "A bad `visibility` or `port`.")), body=ref("PortVisibility"))),
    ]
