"""Job service fixtures: the real Klippy service on a scripted Klippy, in-memory namespaces."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.database import records
from moontwist.database.records import Key
from moontwist.errors import ApiError
from moontwist.services.jobs import JobStateService
from moontwist.services.jobs.gcode_files import GcodeFiles
from tests.services.klippy.fakes import FakeConnection, FakeKlippy, start_service

_MISSING: Any = object()


class MemoryNamespace:
    """The part of ``moontwist.database.Namespace`` the job services use, in a dict; writes fire at once."""

    def __init__(self, name: str = "test") -> None:
        self.name = name
        self.data: dict[str, Any] = {}
        self.writes = 0

    def get(self, key: Key, default: Any = _MISSING) -> Any:
        path = records.record_path(key)
        try:
            value = self.data[path[0]]
            for part in path[1:]:
                value = value[part]
            return copy.deepcopy(value)
        except (KeyError, TypeError):
            if default is _MISSING:
                raise ApiError(f"Key '{key}' in namespace '{self.name}' not found", 404) from None
            return default

    def keys(self) -> list[str]:
        return sorted(self.data)

    def insert(self, key: Key, value: Any) -> "Deferred[None]":
        path = records.record_path(key)
        self.writes += 1
        if len(path) == 1:
            self.data[path[0]] = copy.deepcopy(value)
        else:
            target = self.data.setdefault(path[0], {})
            for part in path[1:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = copy.deepcopy(value)
        return succeed(None)

    def delete_many(self, keys: Iterable[str]) -> "Deferred[dict[str, Any]]":
        self.writes += 1
        return succeed({key: self.data.pop(key) for key in list(keys) if key in self.data})

    def insert_many(self, items: Mapping[str, Any]) -> "Deferred[None]":
        for key, value in items.items():
            self.insert(key, value)
        return succeed(None)


class HeldNamespace(MemoryNamespace):
    """As lmdb's writer: a write is seen by reads, and acknowledged, only at ``commit()``."""

    def __init__(self, name: str = "test") -> None:
        super().__init__(name)
        self.held: list[tuple[Any, Deferred[Any]]] = []

    def _hold(self, apply: Any) -> "Deferred[Any]":
        done: Deferred[Any] = Deferred()
        self.held.append((apply, done))
        return done

    def insert(self, key: Key, value: Any) -> "Deferred[None]":
        return self._hold(lambda: MemoryNamespace.insert(self, key, value))

    def delete_many(self, keys: Iterable[str]) -> "Deferred[dict[str, Any]]":
        keys = list(keys)
        return self._hold(lambda: MemoryNamespace.delete_many(self, keys))

    def commit(self) -> None:
        """Apply every held write, then acknowledge them in order."""
        held, self.held = self.held, []
        results = [apply().result for apply, _ in held]
        for (_, done), result in zip(held, results):
            done.callback(result)


class JobsTestCase(SynchronousTestCase):
    """A Klippy service connected to a scripted Klippy, job state on top, a gcodes folder."""

    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.reactor.advance(1_000_000)
        self.klippy = FakeKlippy(self.reactor)
        self.ctx, self.klippy_service = start_service(self.reactor)
        self.client = FakeConnection(1)
        self.ctx.connections.add(self.client)
        self.gcodes = Path(self.mktemp())
        self.gcodes.mkdir(parents=True)
        self.metadata = MemoryNamespace("gcode_metadata")
        self.files = GcodeFiles(self.gcodes, self.metadata)  # type: ignore[arg-type]
        self.job_state = JobStateService(self.ctx)
        self.ctx.add_component("job_state", self.job_state)

    def connect(self) -> None:
        self.klippy.accept()

    def gcode(self, name: str, text: str = "G1 X1\n") -> Path:
        path = self.gcodes / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def push_stats(self, **stats: Any) -> None:
        self.klippy.push({"print_stats": stats})

    def notified(self, method: str) -> list[Any]:
        return [params[0] for params in self.client.notifications(method)]
