"""G-code parsing and dispatch with Klippy's exact parsing, output and error rules."""

from __future__ import annotations

import re
import shlex
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from twisted.internet.defer import Deferred, succeed

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost

T = TypeVar("T")

Handler = Callable[["GCodeCommand"], "Deferred[None] | None"]
OutputCallback = Callable[[str], None]

_ARGS = re.compile(r"([A-Z_]+|[A-Z*])")
_NOT_READY_COMMANDS = ("M110", "M112", "M115", "RESTART", "FIRMWARE_RESTART", "ECHO", "STATUS", "HELP")


class CommandError(Exception):
    """A G-code (or endpoint) error whose text is shown to the user as is."""


class _Missing:
    pass


MISSING: Any = _Missing()


class GCodeCommand:
    """One parsed line: the command word, its parameters and the original text."""

    def __init__(self, dispatch: GCodeDispatch, command: str, commandline: str, params: dict[str, str]):
        self.command = command
        self.commandline = commandline
        self.params = params
        self.respond_info = dispatch.respond_info
        self.respond_raw = dispatch.respond_raw

    def raw_parameters(self) -> str:
        """The text after the command word, as M117/M118/M23 see it."""
        command, line = self.command, self.commandline
        start, end = len(command), len(line)
        if line[:start].upper() != command:
            start += line.upper().find(command)
            star = line.rfind("*")
            if star >= 0 and line[star + 1 :].isdigit():
                end = star
        if line[start : start + 1].isspace():
            start += 1
        return line[start:end]

    def get(
        self,
        name: str,
        default: Any = MISSING,
        parser: Callable[[str], T] = str,  # type: ignore[assignment]
        minval: float | None = None,
        maxval: float | None = None,
        above: float | None = None,
        below: float | None = None,
    ) -> Any:
        """A parameter converted by ``parser`` and range checked, with Klippy's messages."""
        raw = self.params.get(name)
        if raw is None:
            if default is MISSING:
                raise CommandError(f"Error on '{self.commandline}': missing {name}")
            return default
        try:
            value: Any = parser(raw)
        except Exception:
            raise CommandError(f"Error on '{self.commandline}': unable to parse {raw}") from None
        if minval is not None and value < minval:
            raise CommandError(f"Error on '{self.commandline}': {name} must have minimum of {minval}")
        if maxval is not None and value > maxval:
            raise CommandError(f"Error on '{self.commandline}': {name} must have maximum of {maxval}")
        if above is not None and value <= above:
            raise CommandError(f"Error on '{self.commandline}': {name} must be above {above}")
        if below is not None and value >= below:
            raise CommandError(f"Error on '{self.commandline}': {name} must be below {below}")
        return value

    def get_int(self, name: str, default: Any = MISSING, minval: int | None = None, maxval: int | None = None) -> Any:
        return self.get(name, default, int, minval, maxval)

    def get_float(
        self,
        name: str,
        default: Any = MISSING,
        minval: float | None = None,
        maxval: float | None = None,
        above: float | None = None,
        below: float | None = None,
    ) -> Any:
        return self.get(name, default, float, minval, maxval, above, below)


def is_traditional_gcode(command: str) -> bool:
    """A letter followed by a number (G1, M104), as opposed to an extended command."""
    try:
        word = command.upper().split()[0]
        float(word[1:])
        return word[0].isupper() and word[1].isdigit()
    except (IndexError, ValueError):
        return False


def parse_line(line: str) -> tuple[str, dict[str, str], str]:
    """Split one line into (command, params, original text) the way Klippy does."""
    origline = line = line.strip()
    comment = line.find(";")
    if comment >= 0:
        line = line[:comment]
    parts = _ARGS.split(line.upper())
    if "".join(parts[:2]) == "N":
        command = "".join(parts[3:5]).strip()
    else:
        command = "".join(parts[:3]).strip()
    params = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}
    return command, params, origline


def _extended(func: Handler) -> Handler:
    def handler(gcmd: GCodeCommand) -> Deferred[None] | None:
        lexer = shlex.shlex(gcmd.raw_parameters(), posix=True)
        lexer.whitespace_split = True
        lexer.commenters = "#;"
        try:
            pairs = [argument.split("=", 1) for argument in lexer]
            params = {key.upper(): value for key, value in pairs}
        except ValueError:
            raise CommandError(f"Malformed command '{gcmd.commandline}'") from None
        gcmd.params = params
        return func(gcmd)

    return handler


async def maybe_await(result: Deferred[T] | None) -> T | None:
    """Await a handler's result only when it is asynchronous."""
    if result is None:
        return None
    return await result


class ReactorMutex:
    """Klippy's G-code mutex: a waiter is woken on a later reactor turn, so the
    releasing code keeps running first (the print reader relies on that)."""

    def __init__(self, call_soon: Callable[[Callable[[], None]], object]):
        self._call_soon = call_soon
        self.locked = False
        self._waiting: deque[Deferred[None]] = deque()

    def acquire(self) -> Deferred[None]:
        if not self.locked:
            self.locked = True
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._waiting.append(waiter)
        return waiter

    def release(self) -> None:
        if self._waiting:
            waiter = self._waiting.popleft()
            self._call_soon(lambda: waiter.callback(None))
        else:
            self.locked = False


class GCodeDispatch:
    """The command table, the G-code mutex and the output handlers of one Klippy host."""

    def __init__(self, host: KlippyHost):
        self.host = host
        self.mutex = ReactorMutex(lambda wake: host.timers.call_later(0, wake))
        self.is_printer_ready = False
        self.output_callbacks: list[OutputCallback] = []
        self.ready_handlers: dict[str, Handler] = {}
        self.base_handlers: dict[str, Handler] = {}
        self.handlers = self.base_handlers
        self.mux_commands: dict[str, tuple[str, dict[str | None, Handler]]] = {}
        self.help: dict[str, str] = {}
        self._status: dict[str, Any] = {"commands": {}}
        host.register_event_handler("klippy:ready", self._handle_ready)
        host.register_event_handler("klippy:shutdown", self._handle_shutdown)
        host.register_event_handler("klippy:disconnect", self._handle_disconnect)
        for command in _NOT_READY_COMMANDS:
            func = getattr(self, "cmd_" + command)
            self.register_command(command, func, True, getattr(self, f"cmd_{command}_help", None))

    # Registration
    def register_command(self, command: str, func: Handler, when_not_ready: bool = False, desc: str | None = None,
                         wrapped: bool = False) -> None:
        """Add a command; ``wrapped`` for a handler taken from ``unregister_command``."""
        if not is_traditional_gcode(command) and not wrapped:
            func = _extended(func)
        self.ready_handlers[command] = func
        if when_not_ready:
            self.base_handlers[command] = func
        if desc is not None:
            self.help[command] = desc
        self._build_status()

    def unregister_command(self, command: str) -> Handler | None:
        """Remove a command; its handler (for gcode_macro's rename_existing), or None."""
        previous = self.ready_handlers.pop(command, None)
        self.base_handlers.pop(command, None)
        self.help.pop(command, None)
        self._build_status()
        return previous

    def register_mux_command(self, command: str, key: str, value: str | None, func: Handler, desc: str | None = None) -> None:
        """Several objects share one command, told apart by ``key=value``."""
        entry = self.mux_commands.get(command)
        if entry is None:
            entry = self.mux_commands[command] = (key, {})
            self.register_command(command, lambda gcmd: self._cmd_mux(command, gcmd), desc=desc)
        entry[1][value] = func

    def _cmd_mux(self, command: str, gcmd: GCodeCommand) -> Deferred[None] | None:
        key, values = self.mux_commands[command]
        key_param = gcmd.get(key, None) if None in values else gcmd.get(key)
        if key_param not in values:
            options = [value for value in values if value is not None]
            guess = ""
            for value in options:
                if key_param and key_param in value:
                    guess = f". Did you mean '{value}'?"
            if not guess:
                guess = ". Options: " + ", ".join(f"'{value}'" for value in options)
            raise CommandError(f"The value '{key_param}' is not valid for {key}{guess}")
        return values[key_param](gcmd)

    def get_command_help(self) -> dict[str, str]:
        return dict(self.help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status

    def _build_status(self) -> None:
        commands: dict[str, dict[str, str]] = {command: {} for command in self.handlers}
        for command, text in self.help.items():
            if command in commands:
                commands[command]["help"] = text
        self._status = {"commands": commands}

    # State changes
    def _handle_ready(self) -> None:
        self.is_printer_ready = True
        self.handlers = self.ready_handlers
        self._build_status()
        self._respond_state("Ready")

    def _handle_shutdown(self) -> None:
        if not self.is_printer_ready:
            return
        self.is_printer_ready = False
        self.handlers = self.base_handlers
        self._build_status()
        self._respond_state("Shutdown")

    def _handle_disconnect(self) -> None:
        self._respond_state("Disconnect")

    # Running scripts
    def run_script(self, script: str) -> Deferred[None]:
        """Run a script under the G-code mutex (API requests, the print file)."""
        return Deferred.fromCoroutine(self._run_locked(script.split("\n")))

    async def _run_locked(self, lines: list[str]) -> None:
        await self.mutex.acquire()
        try:
            await self._process_commands(lines)
        finally:
            self.mutex.release()

    def run_script_from_command(self, script: str) -> Deferred[None]:
        """Run a script from inside a command that already holds the mutex (macros)."""
        return Deferred.fromCoroutine(self._process_commands(script.split("\n")))

    async def _process_commands(self, lines: Iterable[str]) -> None:
        for line in lines:
            command, params, origline = parse_line(line)
            gcmd = GCodeCommand(self, command, origline, params)
            handler = self.handlers.get(command, self.cmd_default)
            try:
                result = handler(gcmd)
                if result is not None:
                    await result
            except CommandError as error:
                self._respond_error(str(error))
                self.host.send_event("gcode:command_error")
                raise
            except Exception:
                message = f'Internal error on command:"{command}"'
                self.host.invoke_shutdown(message)
                self._respond_error(message)
                raise

    # Output
    def register_output_handler(self, callback: OutputCallback) -> None:
        self.output_callbacks.append(callback)

    def respond_raw(self, message: str) -> None:
        for callback in self.output_callbacks:
            callback(message)

    def respond_info(self, message: str) -> None:
        lines = [line.strip() for line in message.strip().split("\n")]
        self.respond_raw("// " + "\n// ".join(lines))

    def _respond_error(self, message: str) -> None:
        lines = message.strip().split("\n")
        if len(lines) > 1:
            self.respond_info("\n".join(lines))
        self.respond_raw(f"!! {lines[0].strip()}")

    def _respond_state(self, state: str) -> None:
        self.respond_info(f"Klipper state: {state}")

    # Commands available before the printer is ready
    def cmd_default(self, gcmd: GCodeCommand) -> None:
        command = gcmd.command
        if command in ("M105", "M21"):
            return
        if not self.is_printer_ready:
            raise CommandError(self.host.state_message)
        if not command:
            return
        if " " in command:
            real = command.split()[0]
            handler = self.handlers.get(real) if real in ("M117", "M118", "M23") else None
            if handler is not None:
                gcmd.command = real
                handler(gcmd)
                return
        elif command in ("M140", "M104") and not gcmd.get_float("S", 0.0):
            return
        elif command == "M107" or (command == "M106" and not gcmd.get_float("S", 1.0)):
            return
        gcmd.respond_info(f'Unknown command:"{command}"')

    def cmd_M110(self, gcmd: GCodeCommand) -> None:
        pass

    def cmd_M112(self, gcmd: GCodeCommand) -> None:
        self.host.invoke_shutdown("Shutdown due to M112 command")

    def cmd_M115(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_info(f"FIRMWARE_NAME:Klipper FIRMWARE_VERSION:{self.host.software_version}")

    cmd_RESTART_help = "Reload config file and restart host software"

    def cmd_RESTART(self, gcmd: GCodeCommand) -> Deferred[None]:
        return self.request_restart("restart")

    cmd_FIRMWARE_RESTART_help = "Restart firmware, host, and reload config"

    def cmd_FIRMWARE_RESTART(self, gcmd: GCodeCommand) -> Deferred[None]:
        return self.request_restart("firmware_restart")

    def request_restart(self, kind: str) -> Deferred[None]:
        """Let the motion queue drain, then ask the host to exit for a restart."""
        return Deferred.fromCoroutine(self._request_restart(kind))

    async def _request_restart(self, kind: str) -> None:
        if self.is_printer_ready:
            self.host.send_event("gcode:request_restart")
            toolhead = self.host.lookup_object("toolhead")
            await maybe_await(toolhead.dwell(0.5))
            await maybe_await(toolhead.wait_moves())
        self.host.request_exit(kind)

    def cmd_ECHO(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_info(gcmd.commandline)

    cmd_STATUS_help = "Report the printer status"

    def cmd_STATUS(self, gcmd: GCodeCommand) -> None:
        if self.is_printer_ready:
            self._respond_state("Ready")
            return
        raise CommandError(self.host.state_message.rstrip() + "\nKlipper state: Not ready")

    cmd_HELP_help = "Report the list of available extended G-Code commands"

    def cmd_HELP(self, gcmd: GCodeCommand) -> None:
        lines = []
        if not self.is_printer_ready:
            lines.append("Printer is not ready - not all commands available.")
        lines.append("Available extended commands:")
        for command in sorted(self.handlers):
            if command in self.help:
                lines.append("%-10s: %s" % (command, self.help[command]))
        gcmd.respond_info("\n".join(lines))

