"""The `print_stats` object: job state, durations and filament, as Klippy keeps them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.simulator.gcode import GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost


class PrintStats:
    """The `print_stats` object: job state and durations."""

    cmd_SET_PRINT_STATS_INFO_help = "Pass slicer info like layer act and total to klipper"

    def __init__(self, host: KlippyHost):
        self.host = host
        self.reset()
        host.gcode.register_command(
            "SET_PRINT_STATS_INFO", self.cmd_SET_PRINT_STATS_INFO, desc=self.cmd_SET_PRINT_STATS_INFO_help
        )

    def reset(self) -> None:
        self.filename = self.error_message = ""
        self.state = "standby"
        self.prev_pause_duration = self.last_epos = 0.0
        self.filament_used = self.total_duration = 0.0
        self.print_start_time: float | None = None
        self.last_pause_time: float | None = None
        self.init_duration = 0.0
        self.total_layer: int | None = None
        self.current_layer: int | None = None

    def _extruder_position(self) -> tuple[float, float]:
        gcode_move = self.host.lookup_object("gcode_move")
        return gcode_move.last_position[3], gcode_move.extrude_factor

    def _update_filament_usage(self) -> None:
        position, factor = self._extruder_position()
        self.filament_used += (position - self.last_epos) / factor
        self.last_epos = position

    def set_current_file(self, filename: str) -> None:
        self.reset()
        self.filename = filename

    def note_start(self) -> None:
        now = self.host.monotonic()
        if self.print_start_time is None:
            self.print_start_time = now
        elif self.last_pause_time is not None:
            self.prev_pause_duration += now - self.last_pause_time
            self.last_pause_time = None
        self.last_epos = self._extruder_position()[0]
        self.state = "printing"
        self.error_message = ""

    def note_pause(self) -> None:
        if self.last_pause_time is None:
            self.last_pause_time = self.host.monotonic()
            self._update_filament_usage()
        if self.state != "error":
            self.state = "paused"

    def note_complete(self) -> None:
        self._note_finish("complete")

    def note_error(self, message: str) -> None:
        self._note_finish("error", message)

    def note_cancel(self) -> None:
        self._note_finish("cancelled")

    def _note_finish(self, state: str, message: str = "") -> None:
        if self.print_start_time is None:
            return
        self.state = state
        self.error_message = message
        self.total_duration = self.host.monotonic() - self.print_start_time
        if self.filament_used < 0.0000001:
            self.init_duration = self.total_duration - self.prev_pause_duration
        self.print_start_time = None

    def cmd_SET_PRINT_STATS_INFO(self, gcmd: GCodeCommand) -> None:
        total = gcmd.get_int("TOTAL_LAYER", self.total_layer, minval=0)
        current = gcmd.get_int("CURRENT_LAYER", self.current_layer, minval=0)
        if total == 0:
            self.total_layer = self.current_layer = None
        elif total != self.total_layer:
            self.total_layer, self.current_layer = total, 0
        if self.total_layer is not None and current is not None and current != self.current_layer:
            self.current_layer = min(current, self.total_layer)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        time_paused = self.prev_pause_duration
        if self.print_start_time is not None:
            if self.last_pause_time is not None:
                time_paused += eventtime - self.last_pause_time
            else:
                self._update_filament_usage()
            self.total_duration = eventtime - self.print_start_time
            if self.filament_used < 0.0000001:
                self.init_duration = self.total_duration - time_paused
        return {
            "filename": self.filename,
            "total_duration": self.total_duration,
            "print_duration": self.total_duration - self.init_duration - time_paused,
            "filament_used": self.filament_used,
            "state": self.state,
            "message": self.error_message,
            "info": {"total_layer": self.total_layer, "current_layer": self.current_layer},
        }
