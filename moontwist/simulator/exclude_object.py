"""`[exclude_object]`: objects a slicer labels in the file, and skipping the moves
of the ones the user excludes (their extrusion is not made up for later)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.toolhead import ToolHead


class ExcludeObject:
    cmd_EXCLUDE_OBJECT_START_help = "Marks the beginning the current object as labeled"
    cmd_EXCLUDE_OBJECT_END_help = "Marks the end the current object"
    cmd_EXCLUDE_OBJECT_help = "Cancel moves inside a specified objects"
    cmd_EXCLUDE_OBJECT_DEFINE_help = "Provides a summary of an object"

    def __init__(self, host: KlippyHost, toolhead: ToolHead):
        self.host = host
        self.toolhead = toolhead
        self.reset_state()
        self.skipped_extrusion = 0.0
        self.last_e = 0.0
        for command in ("EXCLUDE_OBJECT_START", "EXCLUDE_OBJECT_END", "EXCLUDE_OBJECT", "EXCLUDE_OBJECT_DEFINE"):
            host.gcode.register_command(command, getattr(self, "cmd_" + command), desc=getattr(self, f"cmd_{command}_help"))
        host.register_event_handler("virtual_sdcard:reset_file", self.reset_state)
        for event in ("klippy:ready", "toolhead:set_position", "gcode:command_error"):
            host.register_event_handler(event, self._positions_realigned)

    def reset_state(self) -> None:
        self.objects: list[dict[str, Any]] = []
        self.excluded_objects: list[str] = []
        self.current_object: str | None = None

    def _positions_realigned(self) -> None:
        """G-code positions were just reset from the toolhead's: no offset remains."""
        self.skipped_extrusion = 0.0
        self.last_e = self.toolhead.commanded_pos[3]

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"objects": self.objects, "excluded_objects": self.excluded_objects,
                "current_object": self.current_object}

    def move(self, position: list[float], speed: float) -> Deferred[None] | None:
        """A G-code move: dropped inside an excluded object, else made (minus the skipped extrusion)."""
        if self.current_object is not None and self.current_object in self.excluded_objects:
            self.skipped_extrusion += position[3] - self.last_e
            self.last_e = position[3]
            return None
        self.last_e = position[3]
        adjusted = list(position)
        adjusted[3] -= self.skipped_extrusion
        return self.toolhead.move(adjusted, speed)

    def cmd_EXCLUDE_OBJECT_START(self, gcmd: GCodeCommand) -> None:
        name = gcmd.get("NAME").upper()
        if not any(obj["name"] == name for obj in self.objects):
            self._define({"name": name})
        self.current_object = name

    def cmd_EXCLUDE_OBJECT_END(self, gcmd: GCodeCommand) -> None:
        name = gcmd.get("NAME", None)
        if name is not None and name.upper() != self.current_object:
            gcmd.respond_info("EXCLUDE_OBJECT_END NAME=%s does not match the current object NAME=%s"
                              % (name.upper(), self.current_object))
        self.current_object = None

    def cmd_EXCLUDE_OBJECT(self, gcmd: GCodeCommand) -> None:
        reset, current = gcmd.get("RESET", None), gcmd.get("CURRENT", None)
        name = gcmd.get("NAME", "").upper()
        if reset:
            if name:
                gcmd.respond_info(f"Unexcluding object {name}")
                self.excluded_objects = sorted(obj for obj in self.excluded_objects if obj != name)
            else:
                self.excluded_objects = []
        elif name:
            if name not in self.excluded_objects:
                self._exclude(name)
        elif current:
            if not self.current_object:
                raise CommandError("There is no current object to cancel")
            self._exclude(self.current_object)
        else:
            gcmd.respond_info("Excluded objects: " + " ".join(self.excluded_objects))

    def _exclude(self, name: str) -> None:
        self.host.gcode.respond_info(f"Excluding object {name}")
        if name not in self.excluded_objects:
            self.excluded_objects = sorted(self.excluded_objects + [name])

    def cmd_EXCLUDE_OBJECT_DEFINE(self, gcmd: GCodeCommand) -> None:
        name = gcmd.get("NAME", "").upper()
        if gcmd.get("RESET", None):
            self.reset_state()
        elif name:
            parameters = dict(gcmd.params)
            parameters.pop("NAME")
            center, polygon = parameters.pop("CENTER", None), parameters.pop("POLYGON", None)
            definition: dict[str, Any] = {"name": name, **parameters}
            try:
                if center is not None:
                    definition["center"] = json.loads(f"[{center}]")
                if polygon is not None:
                    definition["polygon"] = json.loads(polygon)
            except ValueError:
                raise CommandError(f"Malformed command '{gcmd.commandline}'") from None
            self._define(definition)
        elif gcmd.get("JSON", None) is not None:
            gcmd.respond_info("Known objects: " + json.dumps(self.objects))
        else:
            gcmd.respond_info("Known objects: " + " ".join(obj["name"] for obj in self.objects))

    def _define(self, definition: dict[str, Any]) -> None:
        self.objects = sorted(self.objects + [definition], key=lambda obj: obj["name"])
