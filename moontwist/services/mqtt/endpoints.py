"""``server.mqtt.publish`` and ``server.mqtt.subscribe`` (not served over MQTT itself:
an MQTT client publishes and subscribes directly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from moontwist.api import Request, Transport, endpoint
from moontwist.errors import ApiError
from moontwist.protocols.mqtt_errors import MQTTError, QueueFull
from moontwist.protocols.mqtt_packets import Publish
from moontwist.protocols.mqtt_session import topic_problem
from moontwist.services.mqtt.payloads import decode_payload
from moontwist.services.mqtt.waiting import within

if TYPE_CHECKING:
    from moontwist.services.mqtt.service import MQTTService

NOT_OVER_MQTT = (Transport.ALL & ~Transport.MQTT)
QUEUE_FULL_STATUS = 529


class MQTTEndpoints:
    def __init__(self, mqtt: "MQTTService") -> None:
        self.mqtt = mqtt

    def _qos(self, request: Request) -> int:
        qos: int = request.get_int("qos", self.mqtt.settings.default_qos)
        if not 0 <= qos <= 2:
            raise ApiError("QOS must be between 0 and 2")
        return qos

    def _timeout(self, request: Request) -> float | None:
        timeout: float | None = request.get_float("timeout", None)
        if timeout is not None and timeout <= 0:
            raise ApiError("Timeout must be greater than 0")
        return timeout

    @endpoint("server.mqtt.publish", "POST /server/mqtt/publish", transports=NOT_OVER_MQTT)
    async def publish(self, request: Request) -> dict[str, Any]:
        topic = _topic(request)
        payload = request.get("payload", None)
        qos = self._qos(request)
        retain = request.get_bool("retain", False)
        timeout = self._timeout(request)
        if qos == 0 and not self.mqtt.connected:
            # As Moonraker: QoS 0 promises nothing, so it is not held for later.
            raise ApiError("MQTT Publish Error: The client is not currently connected.", 503)
        sent = self.mqtt.publish(topic, payload, qos, retain)
        try:
            await within(sent, timeout, self.mqtt.clock, ApiError("MQTT Publish Timed Out", 504))
        except QueueFull:
            raise ApiError("MQTT Message Queue Full", QUEUE_FULL_STATUS) from None
        except MQTTError as error:
            raise ApiError(f"MQTT Publish Error: {error}", 503) from None
        return {"topic": topic}

    @endpoint("server.mqtt.subscribe", "POST /server/mqtt/subscribe", transports=NOT_OVER_MQTT)
    async def subscribe(self, request: Request) -> dict[str, Any]:
        topic = _topic(request)
        qos = self._qos(request)
        timeout = self._timeout(request)
        received: Deferred[Publish] = Deferred()

        def handler(message: Publish) -> None:
            if not received.called:
                received.callback(message)

        def refused(failure: Failure) -> None:
            if not received.called:
                received.errback(failure)

        self.mqtt.subscribe(topic, handler, qos).addErrback(refused)
        try:
            message = await within(received, timeout, self.mqtt.clock, ApiError("MQTT Subscribe Timed Out", 504))
        except MQTTError as error:
            raise ApiError(f"MQTT Subscribe Error: {error}", 503) from None
        finally:
            self.mqtt.unsubscribe(topic, handler)
        return {"topic": topic, "payload": decode_payload(message.payload)}


def _topic(request: Request) -> str:
    topic: str = request.get_str("topic")
    problem = topic_problem(topic)
    if problem == "wildcards may not be used":
        raise ApiError("Wildcards may not be used")
    if problem is not None:
        raise ApiError(f"Invalid MQTT topic: {problem}")
    return topic
