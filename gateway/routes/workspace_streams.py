"""A workspace's event stream (server-sent events) and its logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.errors import InvalidInput, TemporaryError
from domain.workspace.events import WorkspaceDeleted
from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Param, Reply, problem_reply, ref
from gateway.params import int_param
from gateway.proxy.app import supervisor_token
from gateway.sse import stream_events
from gateway.workspaces.logs import build_log, task_log
from gateway.workspaces.service import WorkspaceService, stream_of

_NOT_FOUND = problem_reply(404, "No such workspace, or not yours.")


def _after(request: Request) -> int:
    """`?after=` wins; else the `Last-Event-ID` a reconnecting EventSource sends; else from the start."""
    if "after" in request.query_params:
        return int_param(request, "after", 0, 0, 2**62)
    last = request.headers.get("last-event-id", "")
    return int(last) if last.isdigit() else 0


def endpoints(gw: Gateway) -> list[Endpoint]:
    service = WorkspaceService(gw.store, gw.codec, gw.views)

    async def workspace_events(request: Request) -> Response:
        identity = await gw.require(request)
        workspace_id = request.path_params["workspace_id"]
        await service.get(identity, workspace_id)  # 404 for what is not the caller's
        after = _after(request)

        async def counted() -> AsyncIterator[bytes]:
            # Starlette stops iterating when the client disconnects; `finally` is where a stream ends.
            gw.live_streams += 1
            try:
                async for chunk in stream_events(gw.store, gw.codec, stream_of(workspace_id), after,
                                                 ends_with=WorkspaceDeleted.TYPE):
                    yield chunk
            finally:
                gw.live_streams -= 1

        return StreamingResponse(counted(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def workspace_logs(request: Request) -> Response:
        identity = await gw.require(request)
        workspace_id = request.path_params["workspace_id"]
        doc = await service.get(identity, workspace_id)
        if "task" in request.query_params:
            index = int_param(request, "task", 0, 0, 10_000)
            offset = int_param(request, "offset", 0, 0, 2**62)
            supervisor_port = doc.get("supervisor_port")
            if not isinstance(supervisor_port, int) or doc.get("phase") in (None, "stopped", "failed"):
                raise TemporaryError(f"workspace {workspace_id!r} is {doc.get('phase') or 'not started'}: "
                                     "task output is read from its running supervisor")
            log = await task_log(supervisor_port, index, offset, supervisor_token(doc))
            return Response(log.data, media_type="application/octet-stream", headers=log.headers)
        if "offset" in request.query_params:
            raise InvalidInput("offset applies to a task's log: send task=<index> too", field="offset")
        build = await build_log(gw.store, gw.codec, workspace_id, doc.get("instance_id"))
        return JSONResponse({"workspace_id": workspace_id, "instance_id": doc.get("instance_id"), "build": build,
                             "tasks": doc.get("tasks", [])})

    one = "/api/workspaces/{workspace_id}"
    return [
        Endpoint(one + "/events", "GET", workspace_events, Operation(
            "The workspace's events as server-sent events: stored ones after a version, then live", "workspaces",
            (Reply(200, "An endless text/event-stream; each event's `id` is its version and its data a "
                        "WorkspaceEvent. It ends after the workspace's deletion.",
                   {"type": "string"}, "text/event-stream"), _NOT_FOUND,
             problem_reply(422, "A bad `after`.")),
            params=(Param("after", "query", {"type": "integer", "minimum": 0},
                          "Stream version to start after (default: the Last-Event-ID header, else 0)."),
                    Param("Last-Event-ID", "header", {"type": "string"}, "Sent by a reconnecting EventSource.")),
            description="Data schema: #/components/schemas/WorkspaceEvent.")),
        Endpoint(one + "/logs", "GET", workspace_logs, Operation(
            "The current instance's image build log and tasks; with `task`, that task's output", "workspaces",
            (Reply(200, "Without `task`: the build log and task states (JSON). With `task`: the task's raw output "
                        "from `offset`; X-Log-Size tells how many bytes the log has, X-Log-Ended whether it is "
                        "complete.", ref("Logs")),
             Reply(200, "", {"type": "string", "contentMediaType": "application/octet-stream"},
                   "application/octet-stream"),
             _NOT_FOUND, problem_reply(422, "A bad `task` or `offset`."),
             problem_reply(503, "The workspace is not running, so its supervisor cannot be asked.")),
            params=(Param("task", "query", {"type": "integer", "minimum": 0}, "A task's index."),
                    Param("offset", "query", {"type": "integer", "minimum": 0},
                          "Byte offset in the task's log.")))),
    ]
