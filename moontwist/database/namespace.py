"""One namespace of the store, as services inside the server use it.

Keys: a string is one whole record key, dots and all (``"benchy.gcode"`` is a
file name, not a path); a list or tuple is a path whose first element selects
the record and the rest index into it. No protection applies here.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from twisted.internet.defer import Deferred

from moontwist.database import records
from moontwist.database.records import Key
from moontwist.database.store import Store
from moontwist.errors import ApiError

_MISSING: Any = object()


class Namespace:
    """Reads are immediate; writes fire after their transaction committed."""

    def __init__(self, store: Store, name: str) -> None:
        self._store = store
        self.name = name

    def get(self, key: Key, default: Any = _MISSING) -> Any:
        """The value at ``key``; ``default`` (or ApiError 404 without one) when absent."""
        try:
            return self._store.get(self.name, records.record_path(key))
        except ApiError as error:
            if error.status == 404 and default is not _MISSING:
                return default
            raise

    def keys(self) -> list[str]:
        return self._store.keys(self.name)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._store.records(self.name).items())

    def insert(self, key: Key, value: Any) -> "Deferred[None]":
        return self._store.insert(self.name, records.record_path(key), value)

    def delete(self, key: Key) -> "Deferred[Any]":
        """Fires with the removed value, or fails with ApiError 404."""
        return self._store.delete(self.name, records.record_path(key))

    def insert_many(self, items: Mapping[str, Any]) -> "Deferred[None]":
        """Store whole records atomically (one transaction)."""
        return self._store.insert_many(self.name, items)

    def delete_many(self, keys: Iterable[str]) -> "Deferred[dict[str, Any]]":
        """Remove whole records atomically; fires with those that existed."""
        return self._store.delete_many(self.name, keys)

    def clear(self) -> "Deferred[None]":
        return self._store.clear(self.name)
