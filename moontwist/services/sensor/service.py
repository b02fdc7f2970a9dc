"""Every ``[sensor NAME]``: once a second each sensor's latest measurements are
stored and, when any changed, announced with ``notify_sensor_update``."""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.task import LoopingCall

from moontwist.config import ConfigError
from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.services.jobs.history_fields import HistoryField
from moontwist.services.sensor.endpoints import SensorEndpoints
from moontwist.services.sensor.mqtt import MqttSensor
from moontwist.services.sensor.sensor import Sensor, read_options

SECTION_PREFIX = "sensor "
UPDATE_INTERVAL = 1.0


class SensorService(Service):
    name = "sensor"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.sensors: dict[str, Sensor] = {}
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            section = ctx.config.section(section_name)
            try:
                options = read_options(section, ctx.warnings.append)
                if options.type.lower() != "mqtt":
                    raise ConfigError(f"Unsupported sensor type: {options.type}")
                sensor: Sensor = MqttSensor(options, section, ctx.components.get("mqtt"))
            except ConfigError as error:
                ctx.warnings.append(f"Failed to configure sensor [{section_name}]\n{error}")
                continue
            try:
                self._add_history_fields(sensor)
            except ApiError as error:
                ctx.warnings.append(f"Failed to configure sensor [{section_name}]\n{error}")
                continue
            self.sensors[options.id] = sensor
        self._ticker = LoopingCall(self.tick)
        self._ticker.clock = ctx.reactor
        ctx.registry.register(SensorEndpoints(self))

    def _add_history_fields(self, sensor: Sensor) -> None:
        """Register the sensor's history_field_* options with history (tracked per job)."""
        history = self.ctx.components.get("history")
        if history is None:
            return
        for spec in sensor.options.history_fields:
            parameter = spec["parameter"]
            initial = (lambda name=parameter: sensor.last_measurements.get(name, 0)) if spec["init_tracker"] else None
            field = HistoryField(
                spec["field"], spec["provider"], spec["description"], spec["strategy"],
                history.tracker(spec["strategy"], spec["exclude_paused"], initial), units=spec["units"],
                exclude_paused=spec["exclude_paused"], report_total=spec["report_total"],
                report_maximum=spec["report_maximum"], precision=spec["precision"])
            history.register_auxiliary_field(field)
            sensor.history_fields.setdefault(parameter, []).append(field)

    def startService(self) -> None:
        super().startService()
        for sensor in self.sensors.values():
            sensor.start()
        self._ticker.start(UPDATE_INTERVAL, now=False)

    def stopService(self) -> None:
        if not self.running:
            return
        super().stopService()
        self._ticker.stop()
        for sensor in self.sensors.values():
            sensor.stop()

    def tick(self) -> None:
        changed = {name: sensor.last_value for name, sensor in self.sensors.items() if sensor.store_tick()}
        if changed:
            self.ctx.notify("notify_sensor_update", [changed])

    def get(self, name: str) -> Sensor:
        sensor = self.sensors.get(name)
        if sensor is None:
            raise ApiError(f"No valid sensor named {name}")
        return sensor

    def list(self, extended: bool) -> dict[str, Any]:
        return {name: sensor.info(extended) for name, sensor in self.sensors.items()}
