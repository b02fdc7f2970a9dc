"""``mqtt``: a device switched by publishing to ``command_topic`` and read from ``state_topic``.

As Moonraker's: ``command_payload`` renders the command (``command`` is ``on`` or
``off``); every payload on ``state_topic`` goes through ``state_response_template``,
which must render ``on`` or ``off`` (``discard`` ignores the payload). A command
or query waits up to ``state_timeout`` for the state. With a ``query_topic``
the device is asked for its state; without one it is expected to publish it
retained, so that subscribing is enough. On every (re)connection to the broker a
device whose state is unknown is asked again (every 2 s while there is a query
topic); losing the broker makes every device ``error``. A state the device
publishes by itself is an outside change (``notify_power_changed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import deferLater
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.config.template import TemplateError
from moontwist.errors import ApiError
from moontwist.protocols.mqtt_errors import MQTTError
from moontwist.services.mqtt.waiting import within
from moontwist.services.power.device import PowerDevice

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.protocols.mqtt_packets import Publish
    from moontwist.services.power.service import PowerService

log = Logger()

# Seconds between state queries while a device with a query topic does not answer.
QUERY_RETRY = 2.0


class StateTimeout(Exception):
    """The device published no state in time."""


# What makes a request fail: no state in time, an answer that is not a state, a
# template that does not render, a message the broker refused.
FAILURES = (StateTimeout, ApiError, TemplateError, MQTTError)


class MqttDevice(PowerDevice):
    can_poll = False

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        mqtt = power.ctx.components.get("mqtt")
        if mqtt is None:
            raise ConfigError(f"[{section.name}]: type 'mqtt' needs the [mqtt] component; add an [mqtt] section")
        self.mqtt: Any = mqtt
        options = self.options
        self.command_topic: str = options["command_topic"]
        self.command_payload = options["command_payload"]
        self.retain_command: bool = options["retain_command_state"]
        self.query_topic: str | None = options["query_topic"]
        self.query_payload = options["query_payload"]
        self.must_query = bool(options["query_after_command"]) and self.query_topic is not None
        self.state_topic: str = options["state_topic"]
        self.state_response = options["state_response_template"]
        self.state_timeout: float = options["state_timeout"]
        self.qos: int | None = options["qos"]
        self.last_request = ""
        self.response_count = 0
        self._waiting: Deferred[str] | None = None
        self._connecting: Deferred[Any] | None = None

    # Life: the MQTT service tells when the broker comes and goes.

    async def initialise(self) -> None:
        events = self.power.ctx.events
        events.on("mqtt_connected", self._mqtt_connected)
        events.on("mqtt_disconnected", self._mqtt_disconnected)
        self.mqtt.subscribe(self.state_topic, self._state_received, self.qos).addErrback(
            lambda failure: log.error("Power device {name}: cannot subscribe to {topic}: {error}", name=self.name,
                                      topic=self.state_topic, error=failure.getErrorMessage()))
        if self.mqtt.connected:
            self._mqtt_connected()

    def stop(self) -> "Deferred[Any] | None":
        events = self.power.ctx.events
        events.off("mqtt_connected", self._mqtt_connected)
        events.off("mqtt_disconnected", self._mqtt_disconnected)
        self.mqtt.unsubscribe(self.state_topic, self._state_received)
        if self._connecting is not None:
            self._connecting.cancel()
        return super().stop()

    def _mqtt_connected(self) -> None:
        self._connecting = Deferred.fromCoroutine(self._learn_state())
        self._connecting.addErrback(lambda failure: failure.trap(CancelledError))

    async def _learn_state(self) -> None:
        async with self.lock:
            if self.state in ("on", "off"):
                return
            self.state = "init"
            learnt = False
            while self.mqtt.connected:
                try:
                    await self._exchange(self.query_topic, self._query_payload())
                except StateTimeout:
                    if self.query_topic is None:
                        # Nothing to ask: the retained state should have come on subscribing.
                        log.info("Power device {name}: no state on {topic} within {timeout:g} s", name=self.name,
                                 topic=self.state_topic, timeout=self.state_timeout)
                        break
                except (ApiError, TemplateError, MQTTError) as error:
                    log.warn("Power device {name}: initialisation failed: {error}", name=self.name, error=error)
                    break
                else:
                    learnt = True
                    break
                await deferLater(self.reactor, QUERY_RETRY, lambda: None)
            if learnt:
                log.info("Power device {name} initialised: {state}", name=self.name, state=self.state)
                await self.set_initial_state()
            else:
                self.state = "error"
            # Only on the first connection.
            self.initial_state = None
            self.notify_power_changed()
            self._last_update = self.reactor.seconds()

    def _mqtt_disconnected(self) -> None:
        waiting = self._waiting
        if waiting is not None and not waiting.called:
            waiting.errback(ApiError("MQTT Disconnected", 503))
        Deferred.fromCoroutine(self._lost())

    async def _lost(self) -> None:
        async with self.lock:
            self.state = "error"
            self.notify_power_changed()

    # The state topic.

    def _state_received(self, message: "Publish") -> None:
        last_state = self.state
        in_request = self.lock.locked
        self.response_count += 1
        payload = message.payload.decode("utf-8", errors="replace")
        context = {"payload": payload, "last_request": self.last_request, "response_count": self.response_count}
        error: Exception | None = None
        response = ""
        try:
            response = self.state_response.render(context).lower()
        except TemplateError as failed:
            error = ApiError(str(failed), 500)
            self.state = "error"
        else:
            if response == "discard":
                return
            if response not in ("on", "off"):
                message_text = f"Invalid State Received. Raw Payload: '{payload}', Rendered: '{response}'"
                log.info("Power device {name}: {message}", name=self.name, message=message_text)
                error = ApiError(message_text, 500)
                self.state = "error"
            else:
                self.state = response
        self._last_update = self.reactor.seconds()
        if not in_request and last_state != self.state:
            log.info("Power device {name}: changed outside moontwist to {state}", name=self.name, state=self.state)
            Deferred.fromCoroutine(self.external_change())
        waiting = self._waiting
        if waiting is not None and not waiting.called:
            if error is not None:
                waiting.errback(error)
            else:
                waiting.callback(response)

    # Requests.

    def _query_payload(self) -> str | None:
        return None if self.query_payload is None else self.query_payload.render()

    def _expect(self) -> "Deferred[str]":
        """The next state the device publishes (wanted before publishing what it answers)."""
        self._waiting = Deferred()
        return self._waiting

    async def _publish(self, topic: str, payload: str | None, retain: bool = False) -> None:
        await within(self.mqtt.publish(topic, payload, self.qos, retain), self.state_timeout, self.reactor,
                     StateTimeout())

    async def _state(self, waiting: "Deferred[str]") -> str:
        try:
            return str(await within(waiting, self.state_timeout, self.reactor, StateTimeout()))
        finally:
            self._waiting = None

    async def _exchange(self, topic: str | None, payload: str | None) -> str:
        """Publish ``payload`` on ``topic`` (none: publish nothing), then the next state, within ``state_timeout``."""
        waiting = self._expect()
        if topic is not None:
            await self._publish(topic, payload)
        return await self._state(waiting)

    def _require_broker(self) -> None:
        if not self.mqtt.connected:
            raise ApiError(f"MQTT Power Device {self.name}: MQTT Not Connected", 503)

    async def refresh_status(self) -> None:
        if self.query_topic is None or (not self.must_query and self.state in ("on", "off")):
            return
        self._require_broker()
        self.last_request = "refresh"
        self.response_count = 0
        try:
            await self._exchange(self.query_topic, self._query_payload())
        except FAILURES as error:
            log.warn("Power device {name}: failed to refresh the state: {error}", name=self.name,
                     error=str(error) or "no state within the timeout")
            self.state = "error"
        finally:
            self.last_request = ""
            self.response_count = 0

    async def set_power(self, state: str) -> None:
        self._require_broker()
        self.last_request = f"power_{state}"
        self.response_count = 0
        try:
            payload = self.command_payload.render({"command": state})
            waiting = self._expect()
            await self._publish(self.command_topic, payload, self.retain_command)
            if self.must_query:
                assert self.query_topic is not None
                await self._publish(self.query_topic, self._query_payload())
            new_state = await self._state(waiting)
        except FAILURES as error:
            log.warn("Power device {name}: failed to set the state: {error}", name=self.name,
                     error=str(error) or "no state within the timeout")
            new_state = "error"
        finally:
            self._waiting = None
            self.last_request = ""
            self.response_count = 0
        self.state = new_state
        if new_state == "error":
            raise ApiError(f"MQTT Power Device {self.name}: Failed to set device to state '{state}'", 500)
