"""`[filament_switch_sensor NAME]` and `[filament_motion_sensor NAME]`: filament
is always present in the simulator; the sensor can be switched off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.simulator.gcode import GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost


class FilamentSensor:
    cmd_QUERY_FILAMENT_SENSOR_help = "Query the status of the Filament Sensor"
    cmd_SET_FILAMENT_SENSOR_help = "Sets the filament sensor on/off"

    def __init__(self, host: KlippyHost, section: ConfigSection, templates: Any):
        self.name = section.name.split()[-1]
        section.get("switch_pin")
        if section.name.startswith("filament_motion_sensor"):
            section.getfloat("detection_length", 7.0, above=0.0)
            section.get("extruder")
        section.getboolean("pause_on_runout", True)
        for option in ("runout_gcode", "insert_gcode"):
            if section.get(option, None) is not None:
                templates.load(section, option)
        section.getfloat("pause_delay", 0.5, above=0.0)
        section.getfloat("event_delay", 3.0, minval=0.0)
        if section.name.startswith("filament_switch_sensor"):
            section.getfloat("debounce_delay", 0.0, minval=0.0)
        self.enabled = True
        host.gcode.register_mux_command("QUERY_FILAMENT_SENSOR", "SENSOR", self.name, self.cmd_QUERY_FILAMENT_SENSOR,
                                        desc=self.cmd_QUERY_FILAMENT_SENSOR_help)
        host.gcode.register_mux_command("SET_FILAMENT_SENSOR", "SENSOR", self.name, self.cmd_SET_FILAMENT_SENSOR,
                                        desc=self.cmd_SET_FILAMENT_SENSOR_help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"filament_detected": True, "enabled": self.enabled}

    def cmd_QUERY_FILAMENT_SENSOR(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_info(f"Filament Sensor {self.name}: filament detected")

    def cmd_SET_FILAMENT_SENSOR(self, gcmd: GCodeCommand) -> None:
        self.enabled = bool(gcmd.get_int("ENABLE", 1))
