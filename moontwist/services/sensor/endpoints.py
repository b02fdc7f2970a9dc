"""``server.sensors.list``, ``server.sensors.info``, ``server.sensors.measurements``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint

if TYPE_CHECKING:
    from moontwist.services.sensor.service import SensorService


class SensorEndpoints:
    def __init__(self, service: "SensorService") -> None:
        self._service = service

    @endpoint("server.sensors.list", "GET /server/sensors/list")
    def list_sensors(self, request: Request) -> dict[str, Any]:
        return {"sensors": self._service.list(request.get_bool("extended", False))}

    @endpoint("server.sensors.info", "GET /server/sensors/info")
    def info(self, request: Request) -> dict[str, Any]:
        sensor = self._service.get(request.get_str("sensor"))
        return sensor.info(request.get_bool("extended", False))

    @endpoint("server.sensors.measurements", "GET /server/sensors/measurements")
    def measurements(self, request: Request) -> dict[str, Any]:
        name = request.get_str("sensor", "")
        if name:
            return {name: self._service.get(name).measurements()}
        return {key: sensor.measurements() for key, sensor in self._service.sensors.items()}
