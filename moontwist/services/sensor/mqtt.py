"""``type: mqtt``: measurements from a topic's payloads through ``state_response_template``.

The template calls ``set_result(name, value)`` for each measured value, with
the payload as ``payload``. It needs the MQTT component: without an
``[mqtt]`` section the sensor fails to load with a clear error.
"""

from __future__ import annotations

from typing import Any

from moontwist.config import ConfigError
from moontwist.config.section import Section
from moontwist.config.template import TemplateError
from moontwist.services.sensor.sensor import Sensor, SensorOptions


class MqttSensor(Sensor):
    def __init__(self, options: SensorOptions, section: Section, mqtt: Any) -> None:
        super().__init__(options)
        # Topic whose payloads carry the measurements.
        self.state_topic = section.get_str("state_topic")
        # Template turning a payload into values with set_result(name, value).
        self.state_response = section.get_jinja_template("state_response_template")
        # QoS of the subscription; default: [mqtt] default_qos.
        self.qos = section.get_int("qos", None, minval=0, maxval=2)
        if mqtt is None:
            raise ConfigError(f"[{section.name}]: type 'mqtt' needs the [mqtt] component; add an [mqtt] section")
        self._mqtt = mqtt

    def start(self) -> None:
        # The MQTT service's subscribe(topic, handler, qos); handlers get a message with .payload.
        self._mqtt.subscribe(self.state_topic, self._message, self.qos)

    def stop(self) -> None:
        self._mqtt.unsubscribe(self.state_topic, self._message)

    def _message(self, message: Any) -> None:
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
