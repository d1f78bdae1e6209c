"""Every projection the platform keeps, by name (what `berth replay <projection>` accepts)."""

from __future__ import annotations

from domain.errors import NotFound
from projections.nodes import NodesProjection
from projections.projection import Projection
from projections.users import UsersProjection
from projections.workspaces import WorkspacesProjection


def all_projections() -> list[Projection]:
    return [WorkspacesProjection(), UsersProjection(), NodesProjection()]


def projection_named(name: str) -> Projection:
    for projection in all_projections():
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in all_projections())
    raise NotFound(f"no projection named {name!r}; known: {known}")
