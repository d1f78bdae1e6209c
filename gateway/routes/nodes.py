"""Nodes (admins): where workspaces run, how many each takes and how many it runs now."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Reply, problem_reply, ref
from projections.nodes import COLLECTION, PROJECTION, node_view


def endpoints(gw: Gateway) -> list[Endpoint]:
    async def list_nodes(request: Request) -> Response:
        await gw.require_admin(request)
        docs = await gw.views.list(PROJECTION, COLLECTION)
        return JSONResponse({"nodes": [node_view(d) for d in sorted(docs, key=lambda d: str(d["name"]))]})

    return [
        Endpoint("/api/nodes", "GET", list_nodes, Operation(
            "The registered nodes with their capacity and running instances (admins)", "nodes",
            (Reply(200, "The nodes, by name.", ref("NodeList")), problem_reply(403, "Not an admin.")))),
    ]
