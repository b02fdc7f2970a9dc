"""`[bed_mesh]`: calibration with the probe, profiles in `[bed_mesh NAME]`
sections (stored with SAVE_CONFIG) and bed_mesh/dump_mesh."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.configreader import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.probe import Probe
    from moontwist.simulator.toolhead import ToolHead
    from moontwist.simulator.webhooks import WebRequest

PROFILE_VERSION = 1
PROFILE_OPTIONS = {"min_x": float, "max_x": float, "min_y": float, "max_y": float, "x_count": int, "y_count": int,
                   "mesh_x_pps": int, "mesh_y_pps": int, "algo": str, "tension": float}


def config_pair(section: ConfigSection, option: str, default: int, minval: int) -> tuple[int, int]:
    """One or two integers (``5`` means ``5, 5``), as bed_mesh reads its counts."""
    pair = section.getlist(option, [default, default], parser=int)
    if len(pair) == 1:
        pair = pair * 2
    if len(pair) != 2:
        raise ConfigError(f"bed_mesh: malformed '{option}' value: {section.get(option)}")
    if min(pair) < minval:
        raise ConfigError(f"Option '{option}' in section bed_mesh must have a minimum of {minval}")
    return pair[0], pair[1]


class BedMesh:
    """The `bed_mesh` object, its commands, profiles and bed_mesh/dump_mesh."""

    cmd_BED_MESH_CALIBRATE_help = "Perform Mesh Bed Leveling"
    cmd_BED_MESH_OUTPUT_help = "Retrieve interpolated grid of probed z-points"
    cmd_BED_MESH_MAP_help = "Serialize mesh and output to terminal"
    cmd_BED_MESH_CLEAR_help = "Clear the Mesh so no z-adjustment is made"
    cmd_BED_MESH_OFFSET_help = "Add X/Y offsets to the mesh lookup"
    cmd_BED_MESH_PROFILE_help = "Bed Mesh Persistent Storage management"

    def __init__(self, host: KlippyHost, section: ConfigSection, profile_sections: list[ConfigSection]):
        self.host = host
        self.horizontal_move_z: float = section.getfloat("horizontal_move_z", 5.0)
        self.speed: float = section.getfloat("speed", 50.0, above=0.0)
        section.getfloat("fade_start", 1.0)
        section.getfloat("fade_end", 0.0)
        section.getfloat("split_delta_z", 0.025, minval=0.01)
        section.getfloat("move_check_distance", 5.0, minval=3.0)
        section.getfloat("adaptive_margin", 0.0)
        section.getint("scan_overshoot", 0)
        min_x, min_y = section.getfloatlist("mesh_min", count=2)
        max_x, max_y = section.getfloatlist("mesh_max", count=2)
        x_count, y_count = config_pair(section, "probe_count", 3, minval=3)
        pps = config_pair(section, "mesh_pps", 2, minval=0)
        algo = section.get("algorithm", "lagrange").strip().lower()
        tension = section.getfloat("bicubic_tension", 0.2, minval=0.0, maxval=2.0)
        if algo not in ("lagrange", "bicubic"):
            raise ConfigError(f"bed_mesh: Unknown algorithm <{algo}>")
        self.mesh_config: dict[str, Any] = {"x_count": x_count, "y_count": y_count, "mesh_x_pps": pps[0],
                                            "mesh_y_pps": pps[1], "algo": algo, "tension": tension}
        self.mesh_min, self.mesh_max = [min_x, min_y], [max_x, max_y]
        self.profiles: dict[str, dict[str, Any]] = {}
        for profile in profile_sections:
            self._read_profile(profile)
        self.mesh: dict[str, Any] | None = None
        self._build_status()
        gcode = host.gcode
        for command in ("BED_MESH_CALIBRATE", "BED_MESH_OUTPUT", "BED_MESH_MAP", "BED_MESH_CLEAR",
                        "BED_MESH_OFFSET", "BED_MESH_PROFILE"):
            gcode.register_command(command, getattr(self, "cmd_" + command), desc=getattr(self, f"cmd_{command}_help"))
        host.webhooks.register_endpoint("bed_mesh/dump_mesh", self._handle_dump_mesh)

    def _read_profile(self, section: ConfigSection) -> None:
        if section.getint("version", 0) != PROFILE_VERSION:
            return
        points = section.getmatrix("points")
        params = {}
        for key, kind in PROFILE_OPTIONS.items():
            params[key] = section.getint(key) if kind is int else section.getfloat(key) if kind is float else section.get(key)
        self.profiles[section.name.split(" ", 1)[1]] = {"points": points, "mesh_params": params}

    # Status
    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status

    def _build_status(self) -> None:
        status: dict[str, Any] = {"profile_name": "", "mesh_min": [0.0, 0.0], "mesh_max": [0.0, 0.0],
                                  "probed_matrix": [[]], "mesh_matrix": [[]], "profiles": self.profiles}
        if self.mesh is not None:
            params = self.mesh["mesh_params"]
            status.update(profile_name=self.mesh["name"], mesh_min=[params["min_x"], params["min_y"]],
                          mesh_max=[params["max_x"], params["max_y"]], probed_matrix=self.mesh["probed_matrix"],
                          mesh_matrix=self.mesh["mesh_matrix"])
        self._status = status

    def _set_mesh(self, name: str | None, points: list[list[float]] | None = None,
                  params: dict[str, Any] | None = None) -> None:
        if name is None or points is None or params is None:
            self.mesh = None
        else:
            self.mesh = {"name": name, "probed_matrix": points, "mesh_matrix": self._interpolate(points, params),
                         "mesh_params": dict(params)}
        self._build_status()

    @staticmethod
    def _interpolate(points: list[list[float]], params: dict[str, Any]) -> list[list[float]]:
        """The mesh at ``pps`` extra points between probed ones (bilinear)."""
        def axis(count: int, pps: int) -> list[float]:
            steps = (count - 1) * (pps + 1)
            return [index * (count - 1) / steps for index in range(steps + 1)]

        rows, columns = axis(len(points), params["mesh_y_pps"]), axis(len(points[0]), params["mesh_x_pps"])
        matrix = []
        for y in rows:
            y0 = min(int(y), len(points) - 2)
            row = []
            for x in columns:
                x0 = min(int(x), len(points[0]) - 2)
                fx, fy = x - x0, y - y0
                top = points[y0][x0] * (1 - fx) + points[y0][x0 + 1] * fx
                bottom = points[y0 + 1][x0] * (1 - fx) + points[y0 + 1][x0 + 1] * fx
                row.append(round(top * (1 - fy) + bottom * fy, 6))
            matrix.append(row)
        return matrix

    def _mesh_params(self) -> dict[str, Any]:
        params = {"min_x": self.mesh_min[0], "max_x": self.mesh_max[0], "min_y": self.mesh_min[1],
                  "max_y": self.mesh_max[1]}
        params.update(self.mesh_config)
        return params

    def probe_points(self) -> list[list[float]]:
        """Probe points (in the order probed: rows, alternating direction)."""
        params = self._mesh_params()
        x_step = (params["max_x"] - params["min_x"]) / (params["x_count"] - 1)
        y_step = (params["max_y"] - params["min_y"]) / (params["y_count"] - 1)
        points = []
        for row in range(params["y_count"]):
            columns = range(params["x_count"])
            for column in (columns if row % 2 == 0 else reversed(columns)):
                points.append([round(params["min_x"] + column * x_step, 3), round(params["min_y"] + row * y_step, 3)])
        return points

    # Commands
    def cmd_BED_MESH_CALIBRATE(self, gcmd: GCodeCommand) -> Deferred[None]:
        name = gcmd.get("PROFILE", "default")
        if not name.strip():
            raise CommandError("Value for parameter 'PROFILE' must be specified")
        self._set_mesh(None)
        return Deferred.fromCoroutine(self._calibrate(name))

    async def _calibrate(self, name: str) -> None:
        probe: Probe | None = self.host.objects.get("probe")
        if probe is None:
            raise CommandError("bed_mesh: a [probe] is required to calibrate")
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        params = self._mesh_params()
        heights: dict[tuple[float, float], float] = {}
        for x, y in self.probe_points():
            position = list(toolhead.commanded_pos)
            position[2] = self.horizontal_move_z
            await maybe_await(toolhead.move(position, self.speed))
            position[0], position[1] = x - probe.x_offset, y - probe.y_offset
            await maybe_await(toolhead.move(position, self.speed))
            heights[(x, y)] = (await probe.probe_here())[2]
        position = list(toolhead.commanded_pos)
        position[2] = self.horizontal_move_z
        await maybe_await(toolhead.move(position, self.speed))
        ordered = sorted(heights.items(), key=lambda item: (item[0][1], item[0][0]))
        columns = params["x_count"]
        points = [[height for _, height in ordered[row:row + columns]] for row in range(0, len(ordered), columns)]
        self._set_mesh(name, points, params)
        self.host.gcode.respond_info("Mesh Bed Leveling Complete")
        self.save_profile(name)

    def save_profile(self, name: str) -> None:
        if self.mesh is None:
            self.host.gcode.respond_info(f"Unable to save to profile [{name}], the bed has not been probed")
            return
        autosave = self.host.lookup_object("configfile").autosave
        section = f"bed_mesh {name}"
        points = "".join("\n  " + ", ".join("%.6f" % value for value in row) for row in self.mesh["probed_matrix"])
        autosave.set(section, "version", PROFILE_VERSION)
        autosave.set(section, "points", points)
        for key, value in self.mesh["mesh_params"].items():
            autosave.set(section, key, value)
        self.profiles = dict(self.profiles, **{name: {"points": self.mesh["probed_matrix"],
                                                      "mesh_params": dict(self.mesh["mesh_params"])}})
        self._build_status()
        self.host.gcode.respond_info(
            f"Bed Mesh state has been saved to profile [{name}]\nfor the current session.  The SAVE_CONFIG command will\n"
            "update the printer config file and restart the printer."
        )

    def cmd_BED_MESH_OUTPUT(self, gcmd: GCodeCommand) -> None:
        if self.mesh is None:
            gcmd.respond_info("Bed has not been probed")
            return
        lines = ["Mesh Leveling Probed Z positions:"]
        lines.extend(" ".join("%.6f" % value for value in row) for row in self.mesh["probed_matrix"])
        gcmd.respond_info("\n".join(lines))

    def cmd_BED_MESH_MAP(self, gcmd: GCodeCommand) -> None:
        if self.mesh is None:
            gcmd.respond_info("Bed has not been probed")
            return
        params = self.mesh["mesh_params"]
        output = {"mesh_min": [params["min_x"], params["min_y"]], "mesh_max": [params["max_x"], params["max_y"]],
                  "z_positions": self.mesh["probed_matrix"]}
        gcmd.respond_raw("mesh_map_output " + json.dumps(output))

    def cmd_BED_MESH_CLEAR(self, gcmd: GCodeCommand) -> None:
        self._set_mesh(None)

    def cmd_BED_MESH_OFFSET(self, gcmd: GCodeCommand) -> None:
        if self.mesh is None:
            gcmd.respond_info("No mesh loaded to offset")
            return
        for axis in ("X", "Y", "ZFADE"):
            gcmd.get_float(axis, None)

    def cmd_BED_MESH_PROFILE(self, gcmd: GCodeCommand) -> None:
        for key in ("LOAD", "SAVE", "REMOVE"):
            name = gcmd.get(key, None)
            if name is None:
                continue
            if not name.strip():
                raise CommandError(f"Value for parameter '{key}' must be specified")
            if key == "SAVE" and name == "default":
                gcmd.respond_info("Profile 'default' is reserved, please choose another profile name.")
            elif key == "SAVE":
                self.save_profile(name)
            elif key == "LOAD":
                self._load_profile(name)
            else:
                self._remove_profile(name)
            return
        gcmd.respond_info(f"Invalid syntax '{gcmd.commandline}'")

    def _load_profile(self, name: str) -> None:
        profile = self.profiles.get(name)
        if profile is None:
            raise CommandError(f"bed_mesh: Unknown profile [{name}]")
        self._set_mesh(name, profile["points"], profile["mesh_params"])

    def _remove_profile(self, name: str) -> None:
        if name not in self.profiles:
            self.host.gcode.respond_info(f"No profile named [{name}] to remove")
            return
        self.host.lookup_object("configfile").autosave.remove_section(f"bed_mesh {name}")
        self.profiles = {key: value for key, value in self.profiles.items() if key != name}
        self._build_status()
        self.host.gcode.respond_info(
            f"Profile [{name}] removed from storage for this session.\nThe SAVE_CONFIG command will update the printer\n"
            "configuration and restart the printer"
        )

    # Endpoint
    def _handle_dump_mesh(self, request: WebRequest) -> None:
        request.get_dict("mesh_args", {})
        toolhead_status = self.host.lookup_object("toolhead").get_status(self.host.monotonic())
        current: dict[str, Any] = {}
        if self.mesh is not None:
            current = {key: self.mesh[key] for key in ("name", "probed_matrix", "mesh_matrix", "mesh_params")}
        config = dict(self.mesh_config, mesh_min=self.mesh_min, mesh_max=self.mesh_max, origin=None, radius=None)
        probe = self.host.objects.get("probe")
        points = self.probe_points()
        request.send({
            "current_mesh": current,
            "profiles": self.profiles,
            "calibration": {"points": points, "config": config, "probe_path": points,
                            "rapid_path": [[point, True] for point in points]},
            "probe_offsets": probe.offsets() if probe is not None else [0, 0, 0],
            "axis_minimum": toolhead_status["axis_minimum"],
            "axis_maximum": toolhead_status["axis_maximum"],
        })
