"""One lifetime of the Klippy host software: from start (or restart) to exit.

Holds the state message, the printer objects, the event handlers and the
timers; a RESTART throws the whole host away and builds a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moontwist.simulator.config import ConfigError, PrinterConfig
from moontwist.simulator.gcode import GCodeDispatch
from moontwist.simulator.modules import load_printer_objects
from moontwist.simulator.status import QueryStatusHelper
from moontwist.simulator.timing import Timers
from moontwist.simulator.webhooks import WebHooks

if TYPE_CHECKING:
    from moontwist.simulator.klippylog import KlippyLog
    from moontwist.simulator.physics import World
    from moontwist.simulator.server import ClientConnection

MESSAGE_READY = "Printer is ready"
MESSAGE_STARTUP = """
Printer is not ready
The klippy host software is attempting to connect.  Please
retry in a few moments.
"""
MESSAGE_RESTART = """
Once the underlying issue is corrected, use the "RESTART"
command to reload the config and restart the host software.
Printer is halted
"""
MESSAGE_SHUTDOWN = """
Once the underlying issue is corrected, use the
"FIRMWARE_RESTART" command to reset the firmware, reload the
config, and restart the host software.
Printer is shutdown
"""
MESSAGE_MCU_CONNECT_ERROR = """mcu 'mcu': Unable to connect
Once the underlying issue is corrected, use the
"FIRMWARE_RESTART" command to reset the firmware, reload the
config, and restart the host software.
Error configuring printer
"""

STATS_INTERVAL = 1.0


class KlippyHost:
    """Klippy's ``Printer``: state, objects, events and the API helpers."""

    def __init__(
        self,
        timers: Timers,
        world: World,
        config_path: str,
        info: dict[str, Any],
        log: KlippyLog,
        on_exit: Callable[[KlippyHost, str], None],
    ):
        self.timers = timers
        self.world = world
        self.speed = world.speed
        self.config_path = config_path
        self.config: PrinterConfig | None = None
        self.log = log
        self.info = info
        self.software_version: str = info["software_version"]
        self._on_exit = on_exit
        self.state_message = MESSAGE_STARTUP
        self.in_shutdown = False
        self.exit_requested: str | None = None
        self.event_handlers: dict[str, list[Callable[..., Any]]] = {}
        self.objects: dict[str, Any] = {}
        self.clients: set[ClientConnection] = set()
        self.gcode = GCodeDispatch(self)
        self.webhooks = WebHooks(self)
        self.add_object("gcode", self.gcode)
        self.add_object("webhooks", self.webhooks)
        self.status = QueryStatusHelper(self)

    # State
    @property
    def state(self) -> str:
        if self.state_message == MESSAGE_READY:
            return "ready"
        if self.state_message == MESSAGE_STARTUP:
            return "startup"
        if self.in_shutdown:
            return "shutdown"
        return "error"

    def _set_state(self, message: str) -> None:
        if self.state_message in (MESSAGE_READY, MESSAGE_STARTUP):
            self.state_message = message
            self.log.write(message)

    def is_shutdown(self) -> bool:
        return self.in_shutdown

    def monotonic(self) -> float:
        return self.timers.monotonic()

    # Objects and events
    def add_object(self, name: str, obj: Any) -> None:
        self.objects[name] = obj

    def lookup_object(self, name: str) -> Any:
        return self.objects[name]

    def register_event_handler(self, event: str, callback: Callable[..., Any]) -> None:
        self.event_handlers.setdefault(event, []).append(callback)

    def send_event(self, event: str, *params: Any) -> list[Any]:
        return [callback(*params) for callback in self.event_handlers.get(event, [])]

    # Lifecycle
    def start(self, initial_state: str, startup_delay: float) -> None:
        """Begin as Klippy does after exec: ready now, after a delay, or failed."""
        if initial_state == "ready":
            self._connect()
        elif initial_state == "startup":
            self.timers.call_later(startup_delay, self._connect)
        elif self._read_config():
            self._set_state(MESSAGE_MCU_CONNECT_ERROR)

    def _read_config(self) -> bool:
        try:
            self.config = PrinterConfig(self.config_path)
            self.log.config(self.config.text())
            load_printer_objects(self, self.config)
        except ConfigError as error:
            self._config_error(error)
            return False
        except Exception as error:  # a printer.cfg the simulator cannot model: halted, not crashed
            self._internal_error(error)
            return False
        return True

    def _internal_error(self, error: Exception) -> None:
        self.log.write(f"Unhandled exception during connect: {error!r}")
        self._set_state(f"Internal error during connect: {error}\n{MESSAGE_RESTART}")

    def _config_error(self, error: ConfigError) -> None:
        self.log.write(f"Config error: {error}")
        self._set_state(f"{error}\n{MESSAGE_RESTART}")

    def _connect(self) -> None:
        if not self._read_config():
            return
        try:
            self.send_event("klippy:connect")
        except ConfigError as error:
            self._config_error(error)
            return
        except Exception as error:
            self._internal_error(error)
            return
        self._set_state(MESSAGE_READY)
        self.send_event("klippy:ready")
        self.timers.call_later(0, self._stats)

    def _stats(self) -> None:
        eventtime = self.monotonic()
        for obj in list(self.objects.values()):
            stats = getattr(obj, "stats", None)
            if stats is not None:
                stats(eventtime)
        self.timers.call_later(STATS_INTERVAL, self._stats)

    def invoke_shutdown(self, message: str) -> None:
        if self.in_shutdown:
            return
        self.in_shutdown = True
        self._set_state(message)
        self.send_event("klippy:shutdown")
        if self.state_message == message:
            self.state_message = message + MESSAGE_SHUTDOWN

    def request_exit(self, kind: str) -> None:
        """RESTART / FIRMWARE_RESTART: the owner tears this host down shortly."""
        if self.exit_requested is None:
            self.exit_requested = kind
            self._on_exit(self, kind)

    def disconnect(self) -> None:
        """Exit: tell subscribers, close every client, stop every timer."""
        if self.exit_requested == "firmware_restart":
            self.send_event("klippy:firmware_restart")
        self.send_event("klippy:disconnect")
        for client in list(self.clients):
            client.close()
        self.timers.cancel_all()
        self.world.all_off()
