"""Frees what closed connections and finished file work held, soon after.

A websocket connection is a web of objects that refer to each other (the
Autobahn protocol, its transport, send budget, session and dispatcher), so
reference counting alone never frees it. It has lived long enough to reach
CPython's oldest garbage-collector generation, which is collected only after
the number of long-lived objects has grown by a quarter: on an idle server,
rarely or never. Measured: each round of 200 websockets opened and closed left
1.2 MiB more resident memory; with a collection after they closed, the second
and later rounds added nothing.

So a full collection runs ``DELAY`` seconds after a connection closes, the
file list changes (an upload, a delete) or metadata extraction runs dry (one
collection for a burst of these), followed, where the C library is glibc, by
``malloc_trim``: the larger objects freed (instance dictionaries, upload and
extraction buffers, some freed in worker threads' heaps) live in the C heap,
whose free pages glibc otherwise keeps. Measured through the bench's sequence
(start, HTTP, websockets, G-code, fan-out, uploads, metascan): resident memory
ended 4.3 MiB above the first idle figure without this, 0.9-3.1 MiB with it
over several runs. A second is long enough to gather a burst (a reloaded tab,
a server stop).

With ``freeze`` (the real daemon), start-up has run with the collector
paused: ``twistd moontwist`` and the ``moontwist`` command call
``gc.disable()`` before importing anything, because the ~700 modules imported
set off about 140 collections, 40-90 ms of a 400 ms start. Starting this
service resumes it; ``DELAY`` seconds later, one full collection frees what
start-up left and ``gc.freeze`` moves every object that exists then (modules,
classes, functions: they live as long as the process) out of the collector's
sight, so a later full collection looks only at what was made since: 12-15 ms
on the reactor before freezing, about 2 ms after. The test suite runs many
daemons in one process and neither pauses nor freezes.
"""

from __future__ import annotations

import ctypes
import gc
import time
from typing import Any, Callable

from twisted.application.service import Service
from twisted.logger import Logger

from moontwist.connections import ConnectionManager
from moontwist.events import EventBus
from moontwist.services.files.announcer import EVENT as FILELIST_CHANGED
from moontwist.services.files.metadata import IDLE_EVENT as METADATA_IDLE

log = Logger()

DELAY = 1.0
TRIGGERS = (FILELIST_CHANGED, METADATA_IDLE)


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None with another C library."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


class CollectorService(Service):
    """Collects garbage ``DELAY`` seconds after connections close or file work ends."""

    def __init__(self, clock: Any, connections: ConnectionManager, events: EventBus,
                 freeze: bool = False) -> None:
        self.clock = clock
        self.connections = connections
        self.events = events
        self.freeze = freeze
        self._pending: Any = None
        self._freezing: Any = None
        self._trim = _malloc_trim()

    def startService(self) -> None:
        super().startService()
        if self.freeze:
            gc.enable()
            self._freezing = self.clock.callLater(DELAY, self._collect_and_freeze)
        self.connections.on_close.append(self._activity)
        for name in TRIGGERS:
            self.events.on(name, self._activity)

    def stopService(self) -> None:
        super().stopService()
        self.connections.on_close.remove(self._activity)
        for name in TRIGGERS:
            self.events.off(name, self._activity)
        for call in (self._pending, self._freezing):
            if call is not None and call.active():
                call.cancel()
        self._pending = self._freezing = None

    def _activity(self, *_: Any) -> None:
        if self._pending is None or not self._pending.active():
            self._pending = self.clock.callLater(DELAY, self.collect)

    def _collect_and_freeze(self) -> None:
        self.collect()
        gc.freeze()

    def collect(self) -> int:
        started = time.perf_counter()
        found = gc.collect()
        if self._trim is not None:
            self._trim(0)
        log.debug("Collected {found} objects in {ms:.1f} ms", found=found, ms=(time.perf_counter() - started) * 1000)
        return found
