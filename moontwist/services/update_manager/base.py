"""What every kind of updater offers the update manager, and the state it keeps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.defer import Deferred

from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.database.namespace import Namespace

Progress = Callable[[str], None]


class UpdateError(ApiError):
    """An update, refresh, recovery or rollback that could not be done."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message, status)


class Store:
    """One updater's record in the ``update_manager`` database namespace.

    Every write is awaited: a journal entry is on disk before the step it
    announces begins, so a crash finds it at the next start.
    """

    def __init__(self, namespace: "Namespace", name: str) -> None:
        self.namespace = namespace
        self.name = name
        self.data: dict[str, Any] = dict(namespace.get(name, {}) or {})

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def save(self, **values: Any) -> "Deferred[None]":
        for key, value in values.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        return self.namespace.insert(self.name, dict(self.data))


class Updater:
    """An application the update manager keeps current (one ``[update_manager NAME]``)."""

    configured_type = ""

    def __init__(self, name: str, store: Store, refresh_interval: float) -> None:
        self.name = name
        self.store = store
        self.refresh_interval = refresh_interval

    @property
    def last_refresh_time(self) -> float:
        return float(self.store.get("last_refresh_time", 0.0))

    def needs_refresh(self, now: float) -> bool:
        return now >= self.last_refresh_time + self.refresh_interval

    async def initialize(self) -> None:
        """Read the local state and finish any interrupted update; never uses the network."""

    async def refresh(self, now: float) -> None:
        """Ask the remote what is available (network)."""
        raise NotImplementedError

    async def update(self, progress: Progress) -> bool:
        """Install what ``refresh`` found; True when something changed."""
        raise NotImplementedError

    async def rollback(self, progress: Progress) -> None:
        raise UpdateError(f"Rollback not available for {self.name}", 400)

    def status(self) -> dict[str, Any]:
        raise NotImplementedError
