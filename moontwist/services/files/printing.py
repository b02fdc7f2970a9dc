"""The file being printed: protected from moves, deletes and overwrites.

Asks the Klippy service, when there is one, for ``print_stats`` (kept fresh
by a subscription held for the file manager). Without Klippy nothing is in use.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.services.files.paths import Location, inside

log = Logger()

ACTIVE_STATES = ("printing", "paused")
WATCHED = {"print_stats": ["state", "filename"]}


class PrintGuard:
    """Knows which gcode file Klippy has loaded and whether a print can start."""

    def __init__(self, klippy: Any | None) -> None:
        self._klippy = klippy

    def start(self) -> None:
        if self._klippy is not None:
            # Kept across Klippy restarts; fails only while Klippy is not connected.
            self._klippy.subscribe(self, WATCHED).addErrback(lambda _: None)

    def stop(self) -> None:
        if self._klippy is not None:
            self._klippy.subscribe(self, {}).addErrback(lambda _: None)

    def _print_stats(self) -> dict[str, Any]:
        if self._klippy is None or self._klippy.state != "ready":
            return {}
        stats = self._klippy.status.get("print_stats")
        return stats if isinstance(stats, dict) else {}

    def loaded_file(self) -> str | None:
        """The gcodes path of the file being printed or paused, if any."""
        stats = self._print_stats()
        if stats.get("state") in ACTIVE_STATES and stats.get("filename"):
            return str(stats["filename"]).lstrip("/")
        return None

    def in_use(self, location: Location) -> bool:
        """Whether ``location`` is the loaded file or a folder holding it."""
        loaded = self.loaded_file()
        if loaded is None or location.root.name != "gcodes":
            return False
        return location.relative == "" or inside(loaded, location.relative)

    def refuse_if_in_use(self, location: Location, message: str = "File currently in use") -> None:
        if self.in_use(location):
            raise ApiError(message, 403)

    def can_print(self) -> bool:
        if self._klippy is None or self._klippy.state != "ready":
            return False
        return self._print_stats().get("state") not in ACTIVE_STATES

    def start_print(self, relative: str, user: str | None = None) -> "Deferred[bool]":
        """Start printing a gcodes file; fires with whether Klippy accepted it."""
        assert self._klippy is not None

        def refused(failure: Any) -> bool:
            log.warn("Print of {file} after upload did not start: {error}", file=relative,
                     error=failure.getErrorMessage())
            return False

        return self._klippy.start_print(relative, user).addCallbacks(lambda _: True, refused)
