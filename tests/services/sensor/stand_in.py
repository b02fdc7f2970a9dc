"""A stand-in for the MQTT service's subscribe/unsubscribe (same signatures and results),
recording handlers, for unit tests of sensors; the real service runs against Mosquitto
in tests/integration/test_sensors.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, succeed


@dataclass
class Message:
    payload: bytes


class StandInMqtt:
    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}

    def subscribe(self, topic: str, handler: Any, qos: int | None = None) -> "Deferred[int]":
        self.handlers[topic] = handler
        return succeed(qos or 0)

    def unsubscribe(self, topic: str, handler: Any) -> None:
        del self.handlers[topic]
