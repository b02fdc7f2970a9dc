"""Klipper status on MQTT: ``{instance}/klipper/status``, or one retained topic per
field under ``{instance}/klipper/state/`` with ``publish_split_status``.

Published as changes come, or merged and sent every ``status_interval``; the
whole selection again when Klippy becomes ready and on every (re)connection.
While disconnected nothing is queued: the next connection sends it all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IDelayedCall

from moontwist.services.klippy.subscriptions import Objects, Status
from moontwist.services.mqtt.settings import MQTTSettings

if TYPE_CHECKING:
    from moontwist.context import ServerContext
    from moontwist.services.mqtt.service import MQTTService


class StatusPublisher:
    def __init__(self, mqtt: "MQTTService", ctx: "ServerContext", settings: MQTTSettings) -> None:
        self.mqtt = mqtt
        self.ctx = ctx
        self.objects: Objects = dict(settings.status_objects or {})
        self.topic = f"{settings.instance_name}/klipper/status"
        self.state_prefix = f"{settings.instance_name}/klipper/state"
        self.interval = settings.status_interval
        self.split = settings.publish_split_status
        self._pending: Status = {}
        self._pending_eventtime = 0.0
        self._timer: IDelayedCall | None = None

    @property
    def klippy(self) -> Any:
        return self.ctx.component("klippy")

    def start(self) -> None:
        if not self.objects:
            return
        events = self.ctx.events
        events.on("status_update", self._changed)
        events.on("klippy_ready", self._send_all)
        events.on("klippy_disconnected", self._flush)
        self.klippy.subscribe(self, self.objects).addErrback(lambda failure: None)
        if self.interval:
            self._timer = self.mqtt.clock.callLater(self.interval, self._tick)

    def stop(self) -> None:
        if not self.objects:
            return
        events = self.ctx.events
        events.off("status_update", self._changed)
        events.off("klippy_ready", self._send_all)
        events.off("klippy_disconnected", self._flush)
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def connected(self) -> None:
        if self.objects and self.klippy.state == "ready":
            self._send_all()

    def _send_all(self) -> None:
        self.klippy.subscribe(self, self.objects).addCallbacks(
            lambda answer: self._publish(answer["status"], answer["eventtime"]), lambda failure: None)

    def _changed(self, changes: Status, eventtime: float) -> None:
        chosen: Status = {}
        for name, values in changes.items():
            if name not in self.objects:
                continue
            fields = self.objects[name]
            picked = dict(values) if fields is None else {f: v for f, v in values.items() if f in fields}
            if picked:
                chosen[name] = picked
        if not chosen:
            return
        if not self.interval:
            self._publish(chosen, eventtime)
            return
        for name, values in chosen.items():
            self._pending.setdefault(name, {}).update(values)
        self._pending_eventtime = eventtime

    def _tick(self) -> None:
        self._flush()
        self._timer = self.mqtt.clock.callLater(self.interval, self._tick)

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, {}
            self._publish(pending, self._pending_eventtime)

    def _publish(self, status: Status, eventtime: float) -> None:
        if not self.split:
            self.mqtt.publish_if_connected(self.topic, {"eventtime": eventtime, "status": status})
            return
        for name, values in status.items():
            for field, value in values.items():
                self.mqtt.publish_if_connected(f"{self.state_prefix}/{name}/{field}",
                                               {"eventtime": eventtime, "value": value}, retain=True)
