"""The ``mqtt`` component: one connection to a broker, kept up with backoff.

Publishes the server's presence (birth and will on ``{instance}/moonraker/status``,
retained), Klipper status, every notification and Klippy's state; serves the
JSON-RPC API on ``{instance}/moonraker/api/request``; offers publish and
subscribe to other services and to clients (``server.mqtt.*``). Services that
follow the broker (mqtt power devices) listen to the ``mqtt_connected`` and
``mqtt_disconnected`` events.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Callable

from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.protocols.mqtt import ConnectOptions, MQTTClientFactory, MQTTClientProtocol, Will
from moontwist.protocols.mqtt_errors import ConnectionRefused, MQTTError
from moontwist.protocols.mqtt_packets import ConnAck, Publish
from moontwist.protocols.mqtt_session import MQTTSession
from moontwist.services.mqtt.api import MQTTApi
from moontwist.services.mqtt.broker import broker_endpoint
from moontwist.services.mqtt.discovery import HomeAssistantDiscovery
from moontwist.services.mqtt.endpoints import MQTTEndpoints
from moontwist.services.mqtt.payloads import encode_payload
from moontwist.services.mqtt.settings import MQTTSettings, read_settings
from moontwist.services.mqtt.status import StatusPublisher
from moontwist.services.mqtt.waiting import within

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

# Seconds the offline message may take to be acknowledged when stopping.
STOP_GRACE = 2.0
Handler = Callable[[Publish], None]
_BACKOFF = backoffPolicy(initialDelay=1.0, maxDelay=30.0, factor=2.0)


class MQTTService(Service):
    def __init__(self, ctx: "ServerContext", settings: MQTTSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.clock = ctx.reactor
        prefix = settings.instance_name
        self.status_topic = f"{prefix}/moonraker/status"
        self.klippy_state_topic = f"{prefix}/moonraker/klippy_state"
        self.notify_prefix = f"{prefix}/moonraker/notify/"
        self.instance_id = ""
        self.session = MQTTSession(self._message, max_queued=settings.max_queued)
        self.protocol: MQTTClientProtocol | None = None
        self.last_error: str | None = None
        # Built now so that unreadable TLS files stop start-up with their reason.
        self.endpoint = broker_endpoint(self.clock, settings)
        self._client: ClientService | None = None
        self._handlers: dict[str, list[tuple[int, Handler]]] = {}
        self.refusals = 0
        self._stopping = False
        self.status = StatusPublisher(self, ctx, settings)
        self.api = MQTTApi(self, ctx.registry, settings) if settings.enable_moonraker_api else None
        self.discovery = HomeAssistantDiscovery(self, ctx, settings) if settings.enable_ha_discovery else None
        ctx.registry.register(MQTTEndpoints(self))

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "MQTTService":
        return cls(ctx, read_settings(ctx.config.section("mqtt")))

    @property
    def connected(self) -> bool:
        return self.session.connected

    # Life.

    def startService(self) -> None:
        super().startService()
        self.instance_id = self._load_instance_id()
        settings = self.settings
        offline = encode_payload({"server": "offline", "instance_id": self.instance_id})
        options = ConnectOptions(
            client_id=settings.client_id or f"moontwist-{self.instance_id.replace('-', '')[:13]}",
            version=settings.version, username=settings.username, password=settings.password,
            keepalive=settings.keepalive, clean_session=settings.clean_session,
            session_expiry=settings.session_expiry,
            will=Will(self.status_topic, offline, settings.default_qos, retain=True))
        factory = MQTTClientFactory(options, self.session, self.clock, self)
        self._client = ClientService(self.endpoint, factory, retryPolicy=self.retry_delay, clock=self.clock)
        self._client.startService()
        if self.api is not None:
            self.api.start()
        self.status.start()
        if self.discovery is not None:
            self.discovery.start()
        self._register_remote_method()
        events = self.ctx.events
        events.on("klippy_state_changed", self._klippy_state_changed)
        if self.settings.publish_notifications:
            self.ctx.connections.observers.append(self._notification)
        log.info("MQTT: broker {address}:{port}, topics under '{prefix}/'",
                 address=settings.address, port=settings.port, prefix=settings.instance_name)

    def retry_delay(self, attempt: int) -> float:
        """1 s, doubling to 30 s, plus up to 1 s of jitter (a farm does not reconnect in step).

        A refused CONNECT follows a TCP connection that succeeded, which resets
        ClientService's count: refusals keep counting here, so retries back off.
        """
        return float(_BACKOFF(attempt - 1 + self.refusals))

    def _load_instance_id(self) -> str:
        """Moonraker's ``instance_id`` in its ``moonraker`` namespace, made once and kept."""
        namespace = self.ctx.component("database").namespace("moonraker")
        stored = namespace.get("instance_id", None)
        if isinstance(stored, str) and stored:
            return stored
        created = str(uuid.uuid4())
        namespace.insert("instance_id", created)
        return created

    def stopService(self) -> "Deferred[None]":
        super().stopService()
        return Deferred.fromCoroutine(self._stop())

    async def _stop(self) -> None:
        self._stopping = True
        self.ctx.events.off("klippy_state_changed", self._klippy_state_changed)
        if self._notification in self.ctx.connections.observers:
            self.ctx.connections.observers.remove(self._notification)
        self.status.stop()
        if self.discovery is not None:
            self.discovery.stop()
        protocol = self.protocol
        if protocol is not None:
            goodbye = self.publish(self.status_topic, {"server": "offline", "instance_id": self.instance_id},
                                   retain=True)
            try:
                await within(goodbye, STOP_GRACE, self.clock, MQTTError("not acknowledged"))
            except MQTTError as error:
                log.info("MQTT: offline message: {error}", error=str(error))
            if self.protocol is protocol:
                protocol.disconnect()
        assert self._client is not None
        await self._client.stopService()
        self.session.close()

    # The connection (ConnectionListener).

    def mqtt_connected(self, protocol: MQTTClientProtocol, connack: ConnAck) -> None:
        self.protocol = protocol
        self.refusals = 0
        self.last_error = None
        if "mqtt" in self.ctx.failed_components:
            self.ctx.failed_components.remove("mqtt")
        log.info("MQTT: connected to {address}:{port} (session {kept})", address=self.settings.address,
                 port=self.settings.port, kept="resumed" if connack.session_present else "new")
        # The session has resent what it held; now our presence and state.
        self._publish_quietly(self.status_topic, {"server": "online", "instance_id": self.instance_id},
                              retain=True)
        self._klippy_state_changed(self._klippy_state())
        self.status.connected()
        if self.discovery is not None:
            self.discovery.connected()
        self.ctx.events.emit("mqtt_connected")

    def mqtt_refused(self, error: ConnectionRefused) -> None:
        self.refusals += 1
        self.last_error = str(error)
        log.error("MQTT: {error}; retrying with backoff", error=str(error))
        # As Moonraker: server.info shows the component failed, and why.
        warning = f"MQTT Connection Failed: {error}"
        if warning not in self.ctx.warnings:
            self.ctx.warnings.append(warning)
        if "mqtt" not in self.ctx.failed_components:
            self.ctx.failed_components.append("mqtt")

    def mqtt_lost(self, protocol: MQTTClientProtocol, reason: Failure) -> None:
        if not protocol.accepted and not self._stopping and self.last_error is None:
            # TLS refused, or the broker closed before answering CONNECT.
            self.last_error = f"MQTT connection to the broker failed: {reason.getErrorMessage()}"
            log.error("{error}", error=self.last_error)
        if self.protocol is protocol:
            self.protocol = None
            if not self._stopping:
                log.warn("MQTT: connection to the broker lost ({reason}); reconnecting",
                         reason=reason.getErrorMessage())
            self.ctx.events.emit("mqtt_disconnected")

    # Publishing and subscribing, for this component and others.

    def publish(self, topic: str, payload: Any = None, qos: int | None = None, retain: bool = False) -> "Deferred[None]":
        """Publish ``payload`` (dicts and lists as JSON); QoS defaults to ``default_qos``."""
        if qos is None:
            qos = self.settings.default_qos
        return self.session.publish(topic, encode_payload(payload), qos, retain)

    def _publish_quietly(self, topic: str, payload: Any, qos: int | None = None, retain: bool = False) -> None:
        """Publish what nobody waits for; a failure is only logged."""
        self.publish(topic, payload, qos, retain).addErrback(
            lambda failure: log.debug("MQTT publish to {topic} failed: {error}",
                                      topic=topic, error=failure.getErrorMessage()))

    def publish_if_connected(self, topic: str, payload: Any, qos: int | None = None, retain: bool = False) -> None:
        """State that is sent in full again on reconnect is not queued while disconnected."""
        if self.session.connected:
            self._publish_quietly(topic, payload, qos, retain)

    def subscribe(self, topic: str, handler: Handler, qos: int | None = None) -> "Deferred[int]":
        """Call ``handler`` for each message on ``topic`` (one broker subscription per topic)."""
        qos = self.settings.default_qos if qos is None else qos
        handlers = self._handlers.setdefault(topic, [])
        handlers.append((qos, handler))
        wanted = max(level for level, _ in handlers)
        if self.session.subscriptions.get(topic) == wanted:
            return succeed(wanted)
        return self.session.subscribe(topic, wanted)

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        handlers = self._handlers.get(topic, [])
        self._handlers[topic] = [entry for entry in handlers if entry[1] is not handler]
        if not self._handlers[topic]:
            del self._handlers[topic]
            self.session.unsubscribe(topic)

    def _message(self, message: Publish) -> None:
        handlers = self._handlers.get(message.topic)
        if not handlers:
            log.debug("MQTT: message on unsubscribed topic {topic}", topic=message.topic)
            return
        for _, handler in list(handlers):
            try:
                handler(message)
            except Exception:
                log.failure("MQTT handler for {topic} failed", topic=message.topic)

    # What the rest of the server says, published.

    def _notification(self, method: str, payload: bytes) -> None:
        if self.session.connected:
            self.session.publish(self.notify_prefix + method, payload, self.settings.default_qos).addErrback(
                lambda failure: None)

    def _register_remote_method(self) -> None:
        """Klipper macros publish with ``action_call_remote_method("publish_mqtt_topic", ...)``."""
        klippy = self.ctx.components.get("klippy")
        if klippy is None:
            return
        try:
            klippy.register_remote_method("publish_mqtt_topic", self._publish_from_klipper)
        except ValueError:
            log.debug("publish_mqtt_topic is already registered")

    def _publish_from_klipper(self, topic: str, payload: Any = None, qos: int | None = None,
                              retain: bool = False, use_prefix: bool = False) -> None:
        if use_prefix:
            topic = f"{self.settings.instance_name}/{topic.lstrip('/')}"
        if qos is not None and qos not in (0, 1, 2):
            log.error("publish_mqtt_topic from Klipper: QoS {qos} is not 0, 1 or 2", qos=qos)
            return
        self._publish_quietly(topic, payload, qos, bool(retain))

    def _klippy_state(self) -> str:
        klippy = self.ctx.components.get("klippy")
        return str(getattr(klippy, "state", "disconnected"))

    def _klippy_state_changed(self, state: str) -> None:
        self.publish_if_connected(self.klippy_state_topic, {"state": state, "instance_id": self.instance_id},
                                  retain=True)
