"""Printing from the gcodes folder: virtual_sdcard and pause_resume.

The reader runs the real file line by line under the G-code mutex, reading
8 KiB at a time as it goes; it advances only as fast as the motion queue lets
it, so a print takes as long as its moves (divided by the speed factor).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, BinaryIO

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await
from moontwist.simulator.print_stats import PrintStats

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.macros import Templates
    from moontwist.simulator.webhooks import WebRequest

VALID_GCODE_EXTS = ("gcode", "g", "gco")
CHUNK_SIZE = 8192
MUTEX_RETRY = 0.050
DEFAULT_ERROR_GCODE = """
{% if 'heaters' in printer %}
   TURN_OFF_HEATERS
{% endif %}
"""


class VirtualSD:
    """The `virtual_sdcard` object and its M2x / SDCARD_* commands."""

    cmd_SDCARD_RESET_FILE_help = "Clears a loaded SD File. Stops the print if necessary"
    cmd_SDCARD_PRINT_FILE_help = "Loads a SD file and starts the print.  May include files in subdirectories."

    def __init__(self, host: KlippyHost, section: ConfigSection, print_stats: PrintStats, templates: Templates):
        self.host = host
        self.print_stats = print_stats
        self.dirname = os.path.normpath(os.path.expanduser(section.get("path")))
        self.on_error = templates.load(section, "on_error_gcode", DEFAULT_ERROR_GCODE)
        self.current_file: BinaryIO | None = None
        self.file_position = self.file_size = 0
        self.next_file_position = 0
        self.active = self.must_pause_work = self.cmd_from_sd = False
        self._stopped: list[Deferred[None]] = []
        gcode = host.gcode
        for command in ("M20", "M21", "M23", "M24", "M25", "M26", "M27"):
            gcode.register_command(command, getattr(self, "cmd_" + command))
        for command in ("M28", "M29", "M30"):
            gcode.register_command(command, self.cmd_error)
        gcode.register_command("SDCARD_RESET_FILE", self.cmd_SDCARD_RESET_FILE, desc=self.cmd_SDCARD_RESET_FILE_help)
        gcode.register_command("SDCARD_PRINT_FILE", self.cmd_SDCARD_PRINT_FILE, desc=self.cmd_SDCARD_PRINT_FILE_help)
        host.register_event_handler("klippy:shutdown", self._handle_shutdown)
        host.register_event_handler("klippy:disconnect", self._close_file)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {
            "file_path": self.current_file.name if self.current_file is not None else None,
            "progress": self.file_position / self.file_size if self.file_size else 0.0,
            "is_active": self.active,
            "file_position": self.file_position,
            "file_size": self.file_size,
        }

    # Reader control
    def do_pause(self) -> Deferred[None] | None:
        """Stop the reader after its current line; wait for it unless called from the file."""
        if not self.active:
            return None
        self.must_pause_work = True
        if self.cmd_from_sd:
            return None
        stopped: Deferred[None] = Deferred()
        self._stopped.append(stopped)
        return stopped

    def do_resume(self) -> None:
        if self.active:
            raise CommandError("SD busy")
        self.must_pause_work = False
        self.active = True
        self.host.timers.call_later(0, lambda: Deferred.fromCoroutine(self._work()))

    async def do_cancel(self) -> None:
        if self.current_file is not None:
            await maybe_await(self.do_pause())
            self._close_file()
            self.print_stats.note_cancel()
        self.file_position = self.file_size = 0

    def is_active(self) -> bool:
        return self.active

    def _close_file(self) -> None:
        if self.current_file is not None:
            self.current_file.close()
            self.current_file = None

    def _handle_shutdown(self) -> None:
        if self.active:
            self.must_pause_work = True

    async def _reset_file(self) -> None:
        if self.current_file is not None:
            await maybe_await(self.do_pause())
            self._close_file()
        self.file_position = self.file_size = 0
        self.print_stats.reset()
        self.host.send_event("virtual_sdcard:reset_file")

    async def _work(self) -> None:
        current = self.current_file
        gcode = self.host.gcode
        error_message: str | None = None
        if current is None:
            self.active = False
            return
        current.seek(self.file_position)
        self.print_stats.note_start()
        partial = b""
        lines: list[bytes] = []
        while not self.must_pause_work:
            if not lines:
                data = current.read(CHUNK_SIZE)
                if not data:
                    self._close_file()
                    gcode.respond_raw("Done printing file")
                    break
                lines = data.split(b"\n")
                lines[0] = partial + lines[0]
                partial = lines.pop()
                lines.reverse()
                await self.host.timers.sleep(0)
                continue
            if gcode.mutex.locked:
                await self.host.timers.sleep(MUTEX_RETRY)
                continue
            self.cmd_from_sd = True
            line = lines.pop()
            next_position = self.file_position + len(line) + 1
            self.next_file_position = next_position
            try:
                await gcode.run_script(line.decode("utf-8", "replace"))
            except CommandError as error:
                error_message = str(error)
                await self._run_on_error_gcode()
                break
            except Exception:
                break  # an internal error: the host is already shut down
            self.cmd_from_sd = False
            self.file_position = self.next_file_position
            if self.next_file_position != next_position:
                current.seek(self.file_position)
                lines, partial = [], b""
        self.active = False
        self.cmd_from_sd = False
        if error_message is not None:
            self.print_stats.note_error(error_message)
        elif self.current_file is not None:
            self.print_stats.note_pause()
        else:
            self.print_stats.note_complete()
        stopped, self._stopped = self._stopped, []
        for waiter in stopped:
            waiter.callback(None)

    async def _run_on_error_gcode(self) -> None:
        try:
            await self.host.gcode.run_script(self.on_error.render())
        except CommandError as error:
            self.host.log.write(f"virtual_sdcard on_error: {error}")

    # Files
    def _file_list(self, check_subdirs: bool) -> list[tuple[str, int]]:
        files = []
        if check_subdirs:
            for root, _dirs, names in os.walk(self.dirname, followlinks=True):
                for name in names:
                    if name[name.rfind(".") + 1 :] in VALID_GCODE_EXTS:
                        full_path = os.path.join(root, name)
                        files.append((full_path[len(self.dirname) + 1 :], os.path.getsize(full_path)))
            return sorted(files, key=lambda entry: entry[0].lower())
        try:
            for name in sorted(os.listdir(self.dirname), key=str.lower):
                full_path = os.path.join(self.dirname, name)
                if not name.startswith(".") and os.path.isfile(full_path):
                    files.append((name, os.path.getsize(full_path)))
        except OSError:
            raise CommandError("Unable to get file list") from None
        return files

    def _load_file(self, gcmd: GCodeCommand, filename: str, check_subdirs: bool = False) -> None:
        files = self._file_list(check_subdirs)
        names = [name for name, _size in files]
        by_lower = {name.lower(): name for name in names}
        try:
            name = filename if filename in names else by_lower[filename.lower()]
            opened = open(os.path.join(self.dirname, name), "rb")
        except (KeyError, OSError):
            raise CommandError("Unable to open file") from None
        size = opened.seek(0, os.SEEK_END)
        opened.seek(0)
        gcmd.respond_raw(f"File opened:{filename} Size:{size}")
        gcmd.respond_raw("File selected")
        self.current_file = opened
        self.file_position = 0
        self.file_size = size
        self.print_stats.set_current_file(filename)

    # Commands
    def cmd_error(self, gcmd: GCodeCommand) -> None:
        raise CommandError("SD write not supported")

    def cmd_SDCARD_RESET_FILE(self, gcmd: GCodeCommand) -> Deferred[None]:
        if self.cmd_from_sd:
            raise CommandError("SDCARD_RESET_FILE cannot be run from the sdcard")
        return Deferred.fromCoroutine(self._reset_file())

    def cmd_SDCARD_PRINT_FILE(self, gcmd: GCodeCommand) -> Deferred[None]:
        if self.active:
            raise CommandError("SD busy")
        return Deferred.fromCoroutine(self._print_file(gcmd))

    async def _print_file(self, gcmd: GCodeCommand) -> None:
        await self._reset_file()
        filename = gcmd.get("FILENAME")
        if filename.startswith("/"):
            filename = filename[1:]
        self._load_file(gcmd, filename, check_subdirs=True)
        self.do_resume()

    def cmd_M20(self, gcmd: GCodeCommand) -> None:
        files = self._file_list(False)
        gcmd.respond_raw("Begin file list")
        for name, size in files:
            gcmd.respond_raw(f"{name} {size}")
        gcmd.respond_raw("End file list")

    def cmd_M21(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_raw("SD card ok")

    def cmd_M23(self, gcmd: GCodeCommand) -> Deferred[None]:
        if self.active:
            raise CommandError("SD busy")
        return Deferred.fromCoroutine(self._select_file(gcmd))

    async def _select_file(self, gcmd: GCodeCommand) -> None:
        await self._reset_file()
        filename = gcmd.raw_parameters().strip()
        if filename.startswith("/"):
            filename = filename[1:]
        self._load_file(gcmd, filename)

    def cmd_M24(self, gcmd: GCodeCommand) -> None:
        self.do_resume()

    def cmd_M25(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        return self.do_pause()

    def cmd_M26(self, gcmd: GCodeCommand) -> None:
        if self.active:
            raise CommandError("SD busy")
        self.file_position = gcmd.get_int("S", minval=0)

    def cmd_M27(self, gcmd: GCodeCommand) -> None:
        if self.current_file is None:
            gcmd.respond_raw("Not SD printing.")
            return
        gcmd.respond_raw(f"SD printing byte {self.file_position}/{self.file_size}")


class PauseResume:
    """The `pause_resume` object, PAUSE/RESUME/CLEAR_PAUSE/CANCEL_PRINT and their endpoints."""

    cmd_PAUSE_help = "Pauses the current print"
    cmd_RESUME_help = "Resumes the print from a pause"
    cmd_CLEAR_PAUSE_help = "Clears the current paused state without resuming the print"
    cmd_CANCEL_PRINT_help = "Cancel the current print"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.host = host
        self.recover_velocity: float = section.getfloat("recover_velocity", 50.0)
        self.is_paused = self.sd_paused = self.pause_command_sent = False
        for command in ("PAUSE", "RESUME", "CLEAR_PAUSE", "CANCEL_PRINT"):
            host.gcode.register_command(command, getattr(self, "cmd_" + command), desc=getattr(self, f"cmd_{command}_help"))
        for endpoint, script in (("cancel", "CANCEL_PRINT"), ("pause", "PAUSE"), ("resume", "RESUME")):
            host.webhooks.register_endpoint(f"pause_resume/{endpoint}", self._endpoint(script))

    def _endpoint(self, script: str) -> Any:
        def handle(request: WebRequest) -> Deferred[None]:
            return self.host.gcode.run_script(script)

        return handle

    def _sdcard(self) -> VirtualSD | None:
        return self.host.objects.get("virtual_sdcard")

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"is_paused": self.is_paused}

    def cmd_PAUSE(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        if self.is_paused:
            gcmd.respond_info("Print already paused")
            return None
        return Deferred.fromCoroutine(self._pause())

    async def _pause(self) -> None:
        if not self.pause_command_sent:
            sdcard = self._sdcard()
            if sdcard is not None and sdcard.is_active():
                self.sd_paused = True
                await maybe_await(sdcard.do_pause())
            else:
                self.sd_paused = False
                self.host.gcode.respond_info("action:paused")
            self.pause_command_sent = True
        await self.host.gcode.run_script_from_command("SAVE_GCODE_STATE NAME=PAUSE_STATE")
        self.is_paused = True

    def cmd_RESUME(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        if not self.is_paused:
            gcmd.respond_info("Print is not paused, resume aborted")
            return None
        velocity = gcmd.get_float("VELOCITY", self.recover_velocity)
        return Deferred.fromCoroutine(self._resume(velocity))

    async def _resume(self, velocity: float) -> None:
        await self.host.gcode.run_script_from_command(
            "RESTORE_GCODE_STATE NAME=PAUSE_STATE MOVE=1 MOVE_SPEED=%.4f" % (velocity,)
        )
        sdcard = self._sdcard()
        if self.sd_paused and sdcard is not None:
            sdcard.do_resume()
            self.sd_paused = False
        else:
            self.host.gcode.respond_info("action:resumed")
        self.pause_command_sent = False
        self.is_paused = False

    def cmd_CLEAR_PAUSE(self, gcmd: GCodeCommand) -> None:
        self.is_paused = self.pause_command_sent = False

    def cmd_CANCEL_PRINT(self, gcmd: GCodeCommand) -> Deferred[None]:
        return Deferred.fromCoroutine(self._cancel(gcmd))

    async def _cancel(self, gcmd: GCodeCommand) -> None:
        sdcard = self._sdcard()
        if sdcard is not None and (sdcard.is_active() or self.sd_paused):
            await sdcard.do_cancel()
        else:
            gcmd.respond_info("action:cancel")
        self.cmd_CLEAR_PAUSE(gcmd)
