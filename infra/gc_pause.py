"""Pausing Python's cyclic garbage collector around a batch of short-lived objects.

Reading a page of the log makes several container objects per event (envelope, UUIDs, the decoded
payload, its record) that all live until the page has been folded. With the collector on, every 700 new
containers trigger a collection that finds them all still alive and promotes them, so they are traversed
again by the older generations' collections, together with every long-lived object of the process: at
thousands of events per page that is a good share of a replay's time, and none of it frees anything
(these objects form no cycles; reference counting frees them when the page is dropped). So the collector
is paused while a page is built and folded, in sections that never await, and resumed at the end.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (if it was on), and turn it back on after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
