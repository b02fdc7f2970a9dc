"""Status publishing: selection of changed fields, status_interval merging, split topics."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.events import EventBus
from moontwist.services.mqtt.settings import MQTTSettings
from moontwist.services.mqtt.status import StatusPublisher


class Klippy:
    state = "ready"

    def subscribe(self, owner: Any, objects: dict[str, Any]) -> "Deferred[dict[str, Any]]":
        return succeed({"eventtime": 5.0, "status": {"toolhead": {"position": [0, 0, 0, 0]}}})


@dataclass
class Context:
    events: EventBus = field(default_factory=EventBus)
    klippy: Klippy = field(default_factory=Klippy)

    def component(self, name: str) -> Klippy:
        return self.klippy


class RecordingMQTT:
    def __init__(self) -> None:
        self.clock = Clock()
        self.published: list[tuple[str, Any, bool]] = []

    def publish_if_connected(self, topic: str, payload: Any, qos: int | None = None, retain: bool = False) -> None:
        self.published.append((topic, payload, retain))


SETTINGS = MQTTSettings("broker", instance_name="p", status_objects={"toolhead": ["position"], "webhooks": None})


class StatusTests(SynchronousTestCase):
    def start(self, settings: MQTTSettings = SETTINGS) -> tuple[RecordingMQTT, Context]:
        mqtt, ctx = RecordingMQTT(), Context()
        publisher = StatusPublisher(mqtt, ctx, settings)  # type: ignore[arg-type]
        publisher.start()
        self.addCleanup(publisher.stop)
        return mqtt, ctx

    def test_only_configured_fields_are_published_as_they_change(self) -> None:
        mqtt, ctx = self.start()
        ctx.events.emit("status_update", {"toolhead": {"position": [1], "print_time": 2}, "extruder": {"t": 1}}, 7.0)
        ctx.events.emit("status_update", {"toolhead": {"print_time": 3}}, 8.0)
        self.assertEqual(mqtt.published, [("p/klipper/status", {"eventtime": 7.0, "status": {"toolhead": {"position": [1]}}}, False)])

    def test_interval_merges_changes(self) -> None:
        mqtt, ctx = self.start(replace(SETTINGS, status_interval=1.0))
        ctx.events.emit("status_update", {"toolhead": {"position": [1]}}, 7.0)
        ctx.events.emit("status_update", {"webhooks": {"state": "ready"}}, 7.5)
        self.assertEqual(mqtt.published, [])
        mqtt.clock.advance(1.0)
        self.assertEqual(mqtt.published, [("p/klipper/status", {"eventtime": 7.5, "status": {
            "toolhead": {"position": [1]}, "webhooks": {"state": "ready"}}}, False)])
        mqtt.clock.advance(1.0)
        self.assertEqual(len(mqtt.published), 1)

    def test_klippy_ready_sends_everything_split_and_retained(self) -> None:
        mqtt, ctx = self.start(replace(SETTINGS, publish_split_status=True))
        ctx.events.emit("klippy_ready")
        self.assertEqual(mqtt.published, [("p/klipper/state/toolhead/position",
                                           {"eventtime": 5.0, "value": [0, 0, 0, 0]}, True)])
