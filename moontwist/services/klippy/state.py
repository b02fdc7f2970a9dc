"""Klippy's connection state as clients see it, as a small machine fed by events.

The public state is Moonraker's string: ``disconnected`` with no connection,
``startup`` while connected but not yet initialised (whatever Klippy reports),
then the state Klippy reports (``ready``, ``error``, ``shutdown``). Each event
returns the effects the service must announce, in order.
"""

from __future__ import annotations

import enum

from twisted.logger import Logger

log = Logger()


class KlippyState(str, enum.Enum):
    DISCONNECTED = "disconnected"
    STARTUP = "startup"
    READY = "ready"
    ERROR = "error"
    SHUTDOWN = "shutdown"


class Effect(enum.Enum):
    STATE_CHANGED = "klippy_state_changed"
    READY = "klippy_ready"
    SHUTDOWN = "klippy_shutdown"
    DISCONNECTED = "klippy_disconnected"


# What Klippy itself can move to from each state it reports while one
# connection lasts; leaving shutdown or error takes a restart (a disconnect).
KLIPPY_TRANSITIONS: dict[KlippyState, frozenset[KlippyState]] = {
    KlippyState.STARTUP: frozenset({KlippyState.READY, KlippyState.ERROR, KlippyState.SHUTDOWN}),
    KlippyState.READY: frozenset({KlippyState.ERROR, KlippyState.SHUTDOWN}),
    KlippyState.ERROR: frozenset({KlippyState.SHUTDOWN}),
    KlippyState.SHUTDOWN: frozenset(),
}


class KlippyStateMachine:
    """Tracks the connection (none, initialising, initialised) and Klippy's reported state."""

    def __init__(self) -> None:
        self._connected = False
        self._initialised = False
        self._reported = KlippyState.STARTUP

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def initialised(self) -> bool:
        return self._initialised

    @property
    def reported(self) -> KlippyState:
        """What Klippy last said about itself (``startup`` until it says otherwise)."""
        return self._reported

    @property
    def state(self) -> KlippyState:
        if not self._connected:
            return KlippyState.DISCONNECTED
        if not self._initialised:
            return KlippyState.STARTUP
        return self._reported

    def connection_made(self) -> list[Effect]:
        """A connection was opened and identified; initialisation begins."""
        before = self.state
        self._connected, self._initialised, self._reported = True, False, KlippyState.STARTUP
        return self._changed(before)

    def klippy_reported(self, reported: str) -> list[Effect]:
        """Klippy stated its state (``info`` answer or a ``webhooks`` update)."""
        try:
            new = KlippyState(reported)
        except ValueError:
            log.warn("Ignoring unknown Klippy state {state!r}", state=reported)
            return []
        if not self._connected or new == self._reported:
            return []
        if new not in KLIPPY_TRANSITIONS[self._reported]:
            log.warn("Ignoring Klippy state change {old} -> {new}", old=self._reported.value, new=new.value)
            return []
        before = self.state
        self._reported = new
        return self._changed(before)

    def initialisation_done(self) -> list[Effect]:
        """Subscriptions are in place (and on ready, requirements checked)."""
        if not self._connected or self._initialised:
            return []
        before = self.state
        self._initialised = True
        effects = self._changed(before)
        if self._reported is KlippyState.READY:
            effects.append(Effect.READY)
        return effects

    def connection_lost(self) -> list[Effect]:
        if not self._connected:
            return []
        before = self.state
        self._connected, self._initialised, self._reported = False, False, KlippyState.STARTUP
        return self._changed(before) + [Effect.DISCONNECTED]

    def _changed(self, before: KlippyState) -> list[Effect]:
        after = self.state
        if after == before:
            return []
        effects = [Effect.STATE_CHANGED]
        if after is KlippyState.SHUTDOWN:
            effects.append(Effect.SHUTDOWN)
        return effects
