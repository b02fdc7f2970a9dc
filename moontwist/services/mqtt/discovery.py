"""Home Assistant MQTT discovery: the printer appears as a device with sensors
(Klippy and print state, temperatures, progress, file) and buttons (pause,
resume, cancel, emergency stop) that publish JSON-RPC on our API topic.

Configs are retained under ``{ha_discovery_prefix}/<component>/<node>/<key>/config``;
the values go, retained, to ``{instance}/moontwist/ha_state`` at most once a
second. Availability follows ``{instance}/moonraker/status``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IDelayedCall

from moontwist import __version__
from moontwist.services.klippy.subscriptions import Objects
from moontwist.services.mqtt.settings import MQTTSettings

if TYPE_CHECKING:
    from moontwist.context import ServerContext
    from moontwist.services.mqtt.service import MQTTService

OBJECTS: Objects = {
    "print_stats": ["state", "filename"],
    "display_status": ["progress"],
    "extruder": ["temperature", "target"],
    "heater_bed": ["temperature", "target"],
}
STATE_INTERVAL = 1.0
TEMPERATURE = {"device_class": "temperature", "unit_of_measurement": "°C", "state_class": "measurement"}
# key: (name, value in the state, extra config)
SENSORS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "klippy_state": ("Klippy state", "klippy_state", {}),
    "print_state": ("Print state", "print_state", {}),
    "current_file": ("Current file", "filename", {}),
    "progress": ("Progress", "progress", {"unit_of_measurement": "%", "state_class": "measurement"}),
    "extruder_temperature": ("Extruder temperature", "extruder_temperature", TEMPERATURE),
    "extruder_target": ("Extruder target", "extruder_target", TEMPERATURE),
    "bed_temperature": ("Bed temperature", "bed_temperature", TEMPERATURE),
    "bed_target": ("Bed target", "bed_target", TEMPERATURE),
}
BUTTONS = {
    "pause": ("Pause print", "printer.print.pause"),
    "resume": ("Resume print", "printer.print.resume"),
    "cancel": ("Cancel print", "printer.print.cancel"),
    "emergency_stop": ("Emergency stop", "printer.emergency_stop"),
}


class HomeAssistantDiscovery:
    def __init__(self, mqtt: "MQTTService", ctx: "ServerContext", settings: MQTTSettings) -> None:
        self.mqtt = mqtt
        self.ctx = ctx
        self.settings = settings
        self.node = re.sub(r"[^a-zA-Z0-9_-]", "_", settings.instance_name)
        self.state_topic = f"{settings.instance_name}/moontwist/ha_state"
        self._timer: IDelayedCall | None = None

    @property
    def klippy(self) -> Any:
        return self.ctx.component("klippy")

    def start(self) -> None:
        self.ctx.events.on("status_update", self._changed)
        self.ctx.events.on("klippy_state_changed", self._changed)
        self.klippy.subscribe(self, OBJECTS).addErrback(lambda failure: None)

    def stop(self) -> None:
        self.ctx.events.off("status_update", self._changed)
        self.ctx.events.off("klippy_state_changed", self._changed)
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def connected(self) -> None:
        for topic, config in self.configs():
            self.mqtt.publish_if_connected(topic, config, retain=True)
        self._publish_state()

    def configs(self) -> list[tuple[str, dict[str, Any]]]:
        settings = self.settings
        instance_id = self.mqtt.instance_id
        prefix = settings.ha_discovery_prefix
        common = {
            "device": {"identifiers": [f"moontwist_{instance_id}"], "name": settings.instance_name,
                       "manufacturer": "moontwist", "model": "Klipper printer", "sw_version": __version__},
            "availability": [{"topic": self.mqtt.status_topic, "value_template": "{{ value_json.server }}",
                              "payload_available": "online", "payload_not_available": "offline"}],
        }
        configs = []
        for key, (name, field, extra) in SENSORS.items():
            config = {**common, **extra, "name": name, "unique_id": f"{instance_id}_{key}",
                      "state_topic": self.state_topic, "value_template": f"{{{{ value_json.{field} }}}}"}
            configs.append((f"{prefix}/sensor/{self.node}/{key}/config", config))
        request_topic = f"{settings.instance_name}/moonraker/api/request"
        for key, (name, method) in BUTTONS.items():
            press = f'{{"jsonrpc": "2.0", "method": "{method}", "id": "ha_{key}"}}'
            config = {**common, "name": name, "unique_id": f"{instance_id}_{key}",
                      "command_topic": request_topic, "payload_press": press}
            configs.append((f"{prefix}/button/{self.node}/{key}/config", config))
        return configs

    def state(self) -> dict[str, Any]:
        status = self.klippy.status
        stats = status.get("print_stats", {})
        progress = status.get("display_status", {}).get("progress")
        extruder, bed = status.get("extruder", {}), status.get("heater_bed", {})
        return {
            "klippy_state": self.klippy.state,
            "print_state": stats.get("state"),
            "filename": stats.get("filename") or None,
            "progress": None if progress is None else round(progress * 100, 1),
            "extruder_temperature": _rounded(extruder.get("temperature")),
            "extruder_target": _rounded(extruder.get("target")),
            "bed_temperature": _rounded(bed.get("temperature")),
            "bed_target": _rounded(bed.get("target")),
        }

    def _changed(self, *_: Any) -> None:
        if self._timer is None and self.mqtt.connected:
            self._timer = self.mqtt.clock.callLater(STATE_INTERVAL, self._publish_state)

    def _publish_state(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        self.mqtt.publish_if_connected(self.state_topic, self.state(), retain=True)


def _rounded(value: Any) -> Any:
    return round(value, 1) if isinstance(value, (int, float)) else None
