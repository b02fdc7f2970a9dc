"""OctoPrint's API, as much as slicers need to upload and print (``[octoprint_compat]``).

Served over HTTP only and answered unwrapped, as OctoPrint does; uploads to
``/api/files/local`` are the file manager's uploads. Printer state comes from
Klippy when there is a Klippy service and it is connected.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service

from moontwist import MOONRAKER_VERSION
from moontwist.api import Request, Transport, endpoint
from moontwist.config.options import Option, SectionOptions
from moontwist.context import ServerContext
from moontwist.errors import ApiError

SERVER_VERSION = "1.5.0"
# The fixed axis speeds (mm/min) Moonraker's printer profile reports.
AXIS_SPEEDS = {"x": 6000.0, "y": 6000.0, "z": 6000.0, "e": 300.0}
OCTOPRINT_COMPAT = SectionOptions(
    "octoprint_compat",
    "OctoPrint's `/api/...` routes for slicers that upload as to OctoPrint (served only when present).",
    (
        Option("enable_ufp", "bool", True, "Accept Ultimaker Format Package (`.ufp`) uploads."),
        Option("flip_h", "bool", False, "Webcam image flipped horizontally, as reported to slicers."),
        Option("flip_v", "bool", False, "Webcam image flipped vertically, as reported to slicers."),
        Option("rotate_90", "bool", False, "Webcam image rotated by 90 degrees, as reported to slicers."),
        Option("stream_url", "str", "/webcam/?action=stream", "Webcam stream URL reported to slicers."),
        Option("webcam_enabled", "bool", True, "Whether slicers are told a webcam exists."),
    ),
)
PRINT_STATES = {"standby": "Operational", "printing": "Printing", "paused": "Paused", "complete": "Operational"}


def _printer_state(klippy: Any) -> str:
    """OctoPrint's state text from Klippy's state and ``print_stats.state``."""
    if klippy is None or klippy.state in ("disconnected", "startup"):
        return "Offline"
    if klippy.state != "ready":
        return "Error"
    stats = klippy.status.get("print_stats") or {}
    return PRINT_STATES.get(stats.get("state", "standby"), "Error")


class OctoPrintCompat(Service):
    """The ``/api/...`` endpoints slicers call before and after uploading."""

    name = "octoprint_compat"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        options = OCTOPRINT_COMPAT.read(ctx.config.section("octoprint_compat"))
        self.enable_ufp = options["enable_ufp"]
        self.webcam = {
            "flipH": options["flip_h"],
            "flipV": options["flip_v"],
            "rotate90": options["rotate_90"],
            "streamUrl": options["stream_url"],
            "webcamEnabled": options["webcam_enabled"],
        }

    @property
    def klippy(self) -> Any:
        return self.ctx.components.get("klippy")

    def startService(self) -> None:
        super().startService()
        if self.klippy is not None:
            self.klippy.subscribe(self, {"print_stats": ["state"]}).addErrback(lambda _: None)

    @endpoint("octoprint.version", transports=Transport.HTTP, auth_required=False)
    def version(self, request: Request) -> dict[str, Any]:
        return {"server": SERVER_VERSION, "api": "0.1", "text": f"OctoPrint (Moonraker {MOONRAKER_VERSION})"}

    @endpoint("octoprint.server", transports=Transport.HTTP, auth_required=False)
    def server(self, request: Request) -> dict[str, Any]:
        """``safemode`` is null while Klippy is ready, ``"settings"`` otherwise (as Moonraker)."""
        ready = self.klippy is not None and self.klippy.state == "ready"
        return {"server": SERVER_VERSION, "safemode": None if ready else "settings"}

    @endpoint("octoprint.login", transports=Transport.HTTP)
    def login(self, request: Request) -> dict[str, Any]:
        return self.current_user(request)

    @endpoint("octoprint.currentuser", transports=Transport.HTTP)
    def current_user(self, request: Request) -> dict[str, Any]:
        """Only API-key logins exist here: always the same ``_api`` user (as Moonraker)."""
        return {"_is_external_client": False, "_login_mechanism": "apikey", "name": "_api", "active": True,
                "user": True, "admin": True, "apikey": None, "permissions": [], "groups": ["admins", "users"]}

    @endpoint("octoprint.settings", transports=Transport.HTTP)
    def settings(self, request: Request) -> dict[str, Any]:
        return {
            "plugins": {"UltimakerFormatPackage": {
                "align_inline_thumbnail": False, "inline_thumbnail": False,
                "inline_thumbnail_align_value": "left", "inline_thumbnail_scale_value": "50",
                "installed": self.enable_ufp, "installed_version": "0.2.2",
                "scale_inline_thumbnail": False, "state_panel_thumbnail": True,
            }},
            "feature": {"sdSupport": False, "temperatureGraph": False},
            "webcam": dict(self.webcam),
        }

    @endpoint("octoprint.job", transports=Transport.HTTP)
    def job(self, request: Request) -> dict[str, Any]:
        return {
            "job": {"file": {"name": None}, "estimatedPrintTime": None, "filament": {"length": None}, "user": None},
            "progress": {"completion": None, "filepos": None, "printTime": None, "printTimeLeft": None,
                         "printTimeOrigin": None},
            "state": _printer_state(self.klippy),
        }

    @endpoint("octoprint.printer", transports=Transport.HTTP)
    async def printer(self, request: Request) -> dict[str, Any]:
        state = _printer_state(self.klippy)
        return {
            "temperature": await self._temperatures() if state not in ("Offline", "Error") else {},
            "state": {"text": state, "flags": {
                "operational": state not in ("Error", "Offline"), "paused": state == "Paused",
                "printing": state == "Printing", "cancelling": False, "pausing": False,
                "error": state == "Error", "ready": state == "Operational",
                "closedOrError": state in ("Error", "Offline"),
            }},
        }

    async def _temperatures(self) -> dict[str, Any]:
        """``tool0``, ``tool1``... for extruders, ``bed`` for the bed, as Klippy reports them now."""
        heaters = await self.klippy.query({"heaters": ["available_heaters"]})
        names = (heaters["status"].get("heaters") or {}).get("available_heaters") or []
        wanted = [name for name in names if name == "heater_bed" or name.startswith("extruder")]
        answer = await self.klippy.query({name: ["temperature", "target"] for name in wanted})
        temperatures = {}
        for name in wanted:
            values = answer["status"].get(name) or {}
            key = "bed" if name == "heater_bed" else "tool" + (name[len("extruder"):] or "0")
            temperatures[key] = {"actual": round(values.get("temperature", 0.0), 2), "offset": 0,
                                 "target": values.get("target", 0.0)}
        return temperatures

    @endpoint("octoprint.printer.command", transports=Transport.HTTP)
    async def command(self, request: Request) -> dict[str, Any]:
        commands = request.get_list("commands")
        if not all(isinstance(command, str) for command in commands):
            raise ApiError("Argument 'commands' must be a list of G-code commands")
        if self.klippy is None:
            raise ApiError("Klippy Host not connected", 503)
        if commands:
            await self.klippy.run_gcode("\n".join(commands))
        return {}

    @endpoint("octoprint.printerprofiles", transports=Transport.HTTP)
    async def printer_profiles(self, request: Request) -> dict[str, Any]:
        sensors = await self._sensors()
        return {"profiles": {"_default": {
            "id": "_default", "name": "Default", "color": "default", "model": "Default", "default": True,
            "current": True, "heatedBed": "heater_bed" in sensors, "heatedChamber": "chamber" in sensors,
            "axes": {axis: {"speed": speed, "inverted": False} for axis, speed in AXIS_SPEEDS.items()},
        }}}

    async def _sensors(self) -> list[str]:
        """Klippy's ``heaters.available_sensors``; none while Klippy is not ready."""
        if self.klippy is None or self.klippy.state != "ready":
            return []
        answer = await self.klippy.query({"heaters": ["available_sensors"]})
        return list((answer["status"].get("heaters") or {}).get("available_sensors") or [])
