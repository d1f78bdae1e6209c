"""Imports every module that defines domain events, so the event registry is complete wherever
events are decoded (a process that never imported a module would otherwise not know its types)."""

from __future__ import annotations

from domain.image import events as image_events
from domain.node import events as node_events
from domain.users import env_vars as user_env_var_events
from domain.users import events as user_events
from domain.users import ssh_keys as user_ssh_key_events
from domain.workspace import events as workspace_events

EVENT_MODULES = (workspace_events, image_events, user_events, user_ssh_key_events, user_env_var_events,
                 node_events)
