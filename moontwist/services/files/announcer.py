"""``notify_filelist_changed``: one notification per change, whoever made it.

A change made through the API is announced by the API call itself, once,
as a whole (one ``delete_dir`` for a tree, one ``move_dir``). While the call
works and for ``MUTE_WINDOW`` seconds after, the paths it touches are muted:
the inotify echoes of the same change are dropped instead of announced twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from moontwist.services.files.items import Item
from moontwist.services.files.paths import inside

METHOD = "notify_filelist_changed"
EVENT = "filelist_changed"
MUTE_WINDOW = 1.0


class Announcer:
    """Broadcasts file list changes and remembers which paths the API is changing."""

    def __init__(self, notify: Callable[[str, list[Any]], None], emit: Callable[..., None], clock: Any,
                 mute_window: float = MUTE_WINDOW) -> None:
        self._notify = notify
        self._emit = emit
        self._clock = clock
        self._mute_window = mute_window
        self._muted: Counter[str] = Counter()
        self._timers: set[Any] = set()
        self._stopped = False

    def announce(self, action: str, item: Item, source_item: Item | None = None) -> dict[str, Any]:
        """Send one change to every client (and to services as the ``filelist_changed`` event)."""
        payload: dict[str, Any] = {"action": action, "item": item}
        if source_item is not None:
            payload["source_item"] = source_item
        self._notify(METHOD, [payload])
        self._emit(EVENT, payload)
        return payload

    def mute(self, *paths: str) -> Callable[[], None]:
        """Mute ``paths`` (and everything under them) until ``MUTE_WINDOW`` after release."""
        self._muted.update(paths)
        released = False

        def release() -> None:
            nonlocal released
            if not released and not self._stopped:
                released = True
                timer = self._clock.callLater(self._mute_window, self._unmute, paths)
                self._timers.add(timer)

        return release

    def stop(self) -> None:
        """Forget every mute (the service stops)."""
        self._stopped = True
        for timer in self._timers:
            if timer.active():
                timer.cancel()
        self._timers.clear()
        self._muted.clear()

    def _unmute(self, paths: tuple[str, ...]) -> None:
        self._timers = {timer for timer in self._timers if timer.active()}
        self._muted.subtract(paths)
        for path in paths:
            if self._muted[path] <= 0:
                del self._muted[path]

    def muted(self, path: str) -> bool:
        return any(inside(path, muted) for muted in self._muted)
