"""JSON Schemas of the API's bodies (components of the OpenAPI document)."""

from __future__ import annotations

from gateway.openapi.operation import Schema, ref

_NULLABLE_STRING: Schema = {"type": ["string", "null"]}

COMPONENTS: dict[str, Schema] = {
    "Problem": {
        "type": "object", "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"},
                       "field": {"type": "string", "description": "The input field that is wrong."}},
    },
    "Port": {
        "type": "object", "required": ["port", "visibility", "listening", "url"],
        "properties": {"port": {"type": "integer"}, "name": _NULLABLE_STRING,
                       "visibility": {"enum": ["public", "private"]}, "listening": {"type": "boolean"},
                       "url": {"type": "string", "format": "uri"}},
    },
    "Workspace": {
        "type": "object", "required": ["id", "owner", "context_url", "workspace_class", "phase", "url", "ports"],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z](?:[a-z0-9-]{0,46}[a-z0-9])?$"},
            "owner": {"type": "string"}, "context_url": {"type": "string"}, "workspace_class": {"type": "string"},
            "ide": {"enum": ["vscode", "none"]},
            "instance_id": _NULLABLE_STRING,
            "phase": {"enum": ["pending", "preparing", "scheduled", "creating", "initializing", "running",
                               "stopping", "stopped", "failed", None]},
            "reason": _NULLABLE_STRING, "commit": _NULLABLE_STRING, "ref": _NULLABLE_STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "last_activity_at": {"type": "string", "format": "date-time"},
            "tasks": {"type": "array", "items": {"type": "object"}},
            "last_backup": {"type": ["object", "null"]}, "backup_failed": _NULLABLE_STRING,
            "version": {"type": "integer", "description": "The workspace stream's version this shows."},
            "pinned": {"type": "boolean", "description": "Kept however long it stays stopped; an unpinned "
                                                         "workspace is deleted after the retention period."},
            "stopped_at": {"type": ["string", "null"], "format": "date-time",
                           "description": "When the current instance stopped or failed (null while active)."},
            "node": {"type": ["string", "null"], "description": "Where the instance runs (admins only)."},
            "url": {"type": "string", "format": "uri", "description": "The IDE."},
            "ports": {"type": "array", "items": ref("Port")},
        },
    },
    "WorkspaceList": {"type": "object", "required": ["workspaces"],
                      "properties": {"workspaces": {"type": "array", "items": ref("Workspace")}}},
    "CreateWorkspace": {
        "type": "object", "required": ["context_url"], "additionalProperties": False,
        "properties": {"context_url": {"type": "string", "examples": ["https://github.com/gitpod-io/empty"]},
                       "workspace_class": {"type": "string", "default": "default"},
                       "ide": {"enum": ["vscode", "none"],
                               "description": "Browser VS Code, or none (SSH only); default: the user's preference, "
                                              "else vscode"}},
    },
    "Deleted": {"type": "object", "required": ["id", "deleted"],
                "properties": {"id": {"type": "string"}, "deleted": {"const": True},
                               "cleanup": {"type": ["string", "null"]}}},
    "Pinned": {"type": "object", "required": ["pinned"], "additionalProperties": False,
               "properties": {"pinned": {"type": "boolean"}}},
    "Node": {
        "type": "object", "required": ["name", "cpus", "memory_bytes", "capacity", "running", "registered_at"],
        "properties": {"name": {"type": "string"}, "cpus": {"type": "integer"}, "memory_bytes": {"type": "integer"},
                       "capacity": {"type": "integer", "description": "How many instances may run at once."},
                       "running": {"type": "integer",
                                   "description": "Instances placed on the node and not stopped or failed yet."},
                       "registered_at": {"type": "string", "format": "date-time",
                                         "description": "When the node last registered changed facts."}},
    },
    "NodeList": {"type": "object", "required": ["nodes"],
                 "properties": {"nodes": {"type": "array", "items": ref("Node")}}},
    "PortVisibility": {"type": "object", "required": ["visibility"], "additionalProperties": False,
                       "properties": {"visibility": {"enum": ["public", "private"]}}},
    "WorkspaceEvent": {
        "type": "object", "description": "The data of one server-sent event; its `id` is the version.",
        "required": ["type", "version", "position", "time", "actor", "payload"],
        "properties": {"type": {"type": "string"}, "version": {"type": "integer"}, "position": {"type": "integer"},
                       "time": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                       "event_id": {"type": "string"}, "correlation_id": {"type": "string"},
                       "payload": {"type": "object"}},
    },
    "Logs": {
        "type": "object", "required": ["workspace_id", "instance_id", "build", "tasks"],
        "properties": {
            "workspace_id": {"type": "string"}, "instance_id": _NULLABLE_STRING,
            "build": {"type": ["object", "null"], "properties": {
                "cache_key": {"type": "string"}, "status": {"enum": ["building", "built", "failed"]},
                "lines": {"type": "array", "items": {"type": "string"}}}},
            "tasks": {"type": "array", "items": {"type": "object"}},
        },
    },
    "StoredEvent": {"type": "object", "description": "An event of the global log, payload Avro-encoded."},
    "EventPage": {"type": "object", "properties": {"events": {"type": "array", "items": ref("StoredEvent")}}},
    "Health": {"type": "object", "properties": {"status": {"const": "ok"}, "mode": {"type": "string"},
                                                "head_position": {"type": "integer"}}},
    "Login": {
        "type": "object", "description": "Either a token, or a username and password.",
        "oneOf": [{"required": ["token"]}, {"required": ["username", "password"]}],
        "properties": {"token": {"type": "string"}, "username": {"type": "string"},
                       "password": {"type": "string", "format": "password"},
                       "next": {"type": "string", "description": "Where a form login redirects to."}},
    },
    "User": {
        "type": "object", "required": ["username", "role", "blocked"],
        "properties": {"username": {"type": "string"}, "role": {"enum": ["admin", "user"]},
                       "blocked": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"}},
    },
    "UserList": {"type": "object", "properties": {"users": {"type": "array", "items": ref("User")}}},
    "CreateUser": {
        "type": "object", "required": ["username"], "additionalProperties": False,
        "properties": {"username": {"type": "string", "pattern": "^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$"},
                       "role": {"enum": ["admin", "user"], "default": "user"},
                       "password": {"type": "string", "minLength": 8, "format": "password"}},
    },
    "BlockUser": {"type": "object", "additionalProperties": False,
                  "properties": {"reason": {"type": "string"}}},
    "Token": {
        "type": "object", "required": ["token_id", "name", "revoked"],
        "properties": {"token_id": {"type": "string"}, "name": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"},
                       "expires_at": {"type": ["string", "null"], "format": "date-time"},
                       "revoked": {"type": "boolean"}},
    },
    "TokenList": {"type": "object", "properties": {"tokens": {"type": "array", "items": ref("Token")}}},
    "NewToken": {"type": "object", "required": ["name"], "additionalProperties": False,
                 "properties": {"name": {"type": "string", "maxLength": 100}}},
    "IssuedToken": {
        "type": "object", "required": ["token_id", "name", "token"],
        "properties": {"token_id": {"type": "string"}, "name": {"type": "string"},
                       "token": {"type": "string", "description": "Shown once; only its SHA-256 is kept."},
                       "expires_at": {"type": ["string", "null"]}},
    },
}
