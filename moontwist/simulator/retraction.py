"""`[firmware_retraction]`: G10/G11 and SET_RETRACTION/GET_RETRACTION."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost

MOVE = "SAVE_GCODE_STATE NAME=_retract_state\nG91\nG1 E%.5f F%d\nRESTORE_GCODE_STATE NAME=_retract_state"


class FirmwareRetraction:
    cmd_SET_RETRACTION_help = "Set firmware retraction parameters"
    cmd_GET_RETRACTION_help = "Report firmware retraction parameters"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.host = host
        self.retract_length: float = section.getfloat("retract_length", 0.0, minval=0.0)
        self.retract_speed: float = section.getfloat("retract_speed", 20.0, minval=1)
        self.unretract_extra_length: float = section.getfloat("unretract_extra_length", 0.0, minval=0.0)
        self.unretract_speed: float = section.getfloat("unretract_speed", 10.0, minval=1)
        self.is_retracted = False
        gcode = host.gcode
        gcode.register_command("SET_RETRACTION", self.cmd_SET_RETRACTION, desc=self.cmd_SET_RETRACTION_help)
        gcode.register_command("GET_RETRACTION", self.cmd_GET_RETRACTION, desc=self.cmd_GET_RETRACTION_help)
        gcode.register_command("G10", self.cmd_G10)
        gcode.register_command("G11", self.cmd_G11)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"retract_length": self.retract_length, "retract_speed": self.retract_speed,
                "unretract_extra_length": self.unretract_extra_length, "unretract_speed": self.unretract_speed}

    def cmd_SET_RETRACTION(self, gcmd: GCodeCommand) -> None:
        self.retract_length = gcmd.get_float("RETRACT_LENGTH", self.retract_length, minval=0.0)
        self.retract_speed = gcmd.get_float("RETRACT_SPEED", self.retract_speed, minval=1)
        self.unretract_extra_length = gcmd.get_float("UNRETRACT_EXTRA_LENGTH", self.unretract_extra_length,
                                                     minval=0.0)
        self.unretract_speed = gcmd.get_float("UNRETRACT_SPEED", self.unretract_speed, minval=1)
        self.is_retracted = False

    def cmd_GET_RETRACTION(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_info("RETRACT_LENGTH=%.5f RETRACT_SPEED=%.5f UNRETRACT_EXTRA_LENGTH=%.5f UNRETRACT_SPEED=%.5f"
                          % (self.retract_length, self.retract_speed, self.unretract_extra_length,
                             self.unretract_speed))

    def cmd_G10(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        if self.is_retracted:
            return None
        self.is_retracted = True
        return self.host.gcode.run_script_from_command(MOVE % (-self.retract_length, self.retract_speed * 60))

    def cmd_G11(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        if not self.is_retracted:
            return None
        self.is_retracted = False
        length = self.retract_length + self.unretract_extra_length
        return self.host.gcode.run_script_from_command(MOVE % (length, self.unretract_speed * 60))
