"""Prometheus metrics shared by the gateway, workers and node agents (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter("berth_events_handled_total", "Events a worker handled and committed", ["consumer"])
EVENTS_PARKED = Counter("berth_events_parked_total", "Events a worker parked as dead letters", ["consumer"])
HANDLER_SECONDS = Histogram("berth_handler_seconds", "Time to handle and commit one event", ["consumer"])
PROJECTION_POSITION = Gauge("berth_projection_position", "Global position a read model has reached",
                            ["projection"])
