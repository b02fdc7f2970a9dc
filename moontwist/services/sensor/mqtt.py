"""``type: mqtt``: measurements from a topic's payloads through ``state_response_template``.

The template calls ``set_result(name, value)`` for each measured value, with
the payload as ``payload``. It needs the MQTT component: without an
``[mqtt]`` section the sensor fails to load with a clear error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.config.section import Section
from moontwist.config.template import TemplateError
from moontwist.services.sensor.options import SENSOR_MQTT
from moontwist.services.sensor.sensor import Sensor, SensorOptions

if TYPE_CHECKING:
    from moontwist.protocols.mqtt_packets import Publish

log = Logger()


class MqttSensor(Sensor):
    def __init__(self, options: SensorOptions, section: Section, mqtt: Any) -> None:
        super().__init__(options)
        settings = SENSOR_MQTT.read(section)
        self.state_topic: str = settings["state_topic"]
        self.state_response = settings["state_response_template"]
        self.qos: int | None = settings["qos"]
        if mqtt is None:
            raise ConfigError(f"[{section.name}]: type 'mqtt' needs the [mqtt] component; add an [mqtt] section")
        self._mqtt = mqtt

    def start(self) -> None:
        self._mqtt.subscribe(self.state_topic, self._message, self.qos).addErrback(
            lambda failure: log.error("Sensor {name}: cannot subscribe to {topic}: {error}", name=self.options.id,
                                      topic=self.state_topic, error=failure.getErrorMessage()))

    def stop(self) -> None:
        self._mqtt.unsubscribe(self.state_topic, self._message)

    def _message(self, message: "Publish") -> None:
        self.state_update(message.payload)

    def state_update(self, payload: bytes) -> None:
        measurements: dict[str, float | int] = {}

        def set_result(name: str, value: Any) -> None:
            measurements[name] = value if isinstance(value, (int, float)) and not isinstance(value, bool) else float(value)

        try:
            self.state_response.render({"payload": payload.decode(errors="replace"), "set_result": set_result})
        except (TemplateError, ValueError, TypeError) as error:
            self.error_state = str(error)
            return
        self.error_state = None
        self.measured(measurements)
