"""The JSON-RPC API over MQTT: requests on ``{instance}/moonraker/api/request``,
answers on ``.../api/response``, through the same registry as every transport.

MQTT clients are trusted, as in Moonraker (the broker's ACLs decide who may
publish on the request topic). A request whose ``mqtt_timestamp`` was seen
among the last 20 is answered with error -10000 instead of running twice.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from moontwist.api import Registry, Transport
from moontwist.protocols.jsonrpc import JsonRpcDispatcher, RpcCall, RpcError
from moontwist.protocols.mqtt_packets import Publish
from moontwist.services.mqtt.settings import MQTTSettings

if TYPE_CHECKING:
    from moontwist.services.mqtt.service import MQTTService

log = Logger()

DUPLICATE_REQUEST_CODE = -10000
TIMESTAMPS_KEPT = 20


class MQTTApi:
    def __init__(self, mqtt: "MQTTService", registry: Registry, settings: MQTTSettings) -> None:
        self.mqtt = mqtt
        self.qos = settings.api_qos
        self.request_topic = f"{settings.instance_name}/moonraker/api/request"
        self.response_topic = f"{settings.instance_name}/moonraker/api/response"
        self._timestamps: deque[Any] = deque(maxlen=TIMESTAMPS_KEPT)
        self._dispatch = registry.rpc_dispatch(Transport.MQTT)
        self._dispatcher = JsonRpcDispatcher(self._screened)

    def start(self) -> None:
        self.mqtt.subscribe(self.request_topic, self.request_received, self.qos).addErrback(
            lambda failure: log.error("MQTT: cannot subscribe to {topic}: {error}",
                                      topic=self.request_topic, error=failure.getErrorMessage()))

    def _screened(self, call: RpcCall) -> Any:
        timestamp = call.params.pop("mqtt_timestamp", None)
        if timestamp is not None:
            if timestamp in self._timestamps:
                log.debug("MQTT: duplicate API request {timestamp}", timestamp=timestamp)
                raise RpcError(DUPLICATE_REQUEST_CODE, "Duplicate MQTT Request")
            self._timestamps.append(timestamp)
        return self._dispatch(call)

    def request_received(self, message: Publish) -> None:
        self._dispatcher.handle(message.payload).addCallback(self._answer)

    def _answer(self, reply: bytes | None) -> None:
        if reply is not None:
            self.mqtt.publish(self.response_topic, reply, self.qos).addErrback(
                lambda failure: log.warn("MQTT: API response not delivered: {error}",
                                         error=failure.getErrorMessage()))
