"""MQTT: the server's link to a broker (loaded only when ``[mqtt]`` is configured)."""

from moontwist.services.mqtt.service import MQTTService

__all__ = ["MQTTService"]
