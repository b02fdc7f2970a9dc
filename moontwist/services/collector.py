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

What stays after the bench's load is mostly CPython's small-object arenas: 200
websockets open at once hold 1.7 MB more of small objects (8.6 KB each,
spread over Autobahn's handshake and traffic records, txaio futures, Twisted's
transports, our sessions), for which pymalloc maps two more 1 MiB arenas; the
objects made while they were open and kept afterwards (the status of the
objects they subscribed to, timers, the machine's latest samples) leave a few
dozen of their 128 pools in use, so both stay mapped and resident (2.1 MiB of
the growth). Neither a collection nor ``malloc_trim`` reaches them.

With ``freeze`` (the real daemon), starting this service fixes glibc's mmap
and trim thresholds (``fix_malloc_thresholds``), and start-up has run with
the collector paused: ``twistd moontwist`` and the ``moontwist`` command call
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
# mallopt's parameter numbers (glibc's malloc.h) and the values fixed for them:
# glibc's own starting values, which it then stops moving.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024
TRIM_THRESHOLD = 128 * 1024


def _libc() -> Any:
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None with another C library."""
    trim: Callable[[int], int] | None = getattr(_libc(), "malloc_trim", None)
    return trim


def fix_malloc_thresholds() -> bool:
    """Stop glibc moving its mmap and trim thresholds; False without glibc.

    glibc serves a request of ``M_MMAP_THRESHOLD`` (128 KiB) or more with its
    own mapping, returned to the system when freed; but freeing one raises the
    threshold to that size (up to 32 MiB) and the trim threshold to twice it.
    After the first metadata extraction (1 MiB reads, decoded and copied) the
    next ones take their megabyte buffers from a worker thread's heap, whose
    free top glibc keeps while it is under the trim threshold (``malloc_trim``
    does not shrink a thread's heap). Measured with ``bench.growth`` (six
    rounds of bench/run's load on one daemon): the metascan of every second
    round or so added 1.9 MiB, 7.0 MiB above idle after six rounds; with the
    thresholds fixed, 3.2 MiB, the same after rounds 3 to 6. Fixed, a buffer of
    128 KiB or more is mapped and unmapped each time (uploads arrive in 64 KiB
    reads and are not held) and a thread's heap gives back a free top over
    128 KiB at once.
    """
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


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
            fix_malloc_thresholds()
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
