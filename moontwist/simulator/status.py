"""objects/list, objects/query and objects/subscribe, answered on Klippy's 250 ms tick.

Each tick takes one snapshot per object and diffs it against the previous
tick's snapshot, field by field, exactly as Klippy does. The diff of an object
is worked out once per tick and shared by every subscriber, and subscribers
asking for the same thing share one encoded push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Iterator

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall

from moontwist.protocols.jsoncodec import encode
from moontwist.simulator.webhooks import WebRequest, WebRequestError

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.server import ClientConnection

SUBSCRIPTION_REFRESH_TIME = 0.25

Objects = dict[str, "list[str] | None"]
_NOTHING: dict[str, Any] = {}
_NO_CHANGES: frozenset[str] = frozenset()


class _Subscription:
    __slots__ = ("objects", "template", "signature")

    def __init__(self, objects: Objects, template: dict[str, Any]):
        self.objects = objects
        self.template = template
        self.signature: bytes | None = None

    def key(self) -> bytes | None:
        """Equal keys mean equal pushes; None while some field list is not frozen yet."""
        if self.signature is None and None not in self.objects.values():
            self.signature = encode([self.template, self.objects])
        return self.signature


class _Tick:
    """The snapshots of one tick and the diffs against the previous one."""

    def __init__(self, host: KlippyHost, eventtime: float, previous: dict[str, dict[str, Any]]):
        self.host = host
        self.eventtime = eventtime
        self.previous = previous
        self.snapshot: dict[str, dict[str, Any]] = {}
        self._changes: dict[str, frozenset[str] | set[str]] = {}

    def status(self, name: str) -> dict[str, Any]:
        result = self.snapshot.get(name)
        if result is None:
            obj = self.host.objects.get(name)
            getter = getattr(obj, "get_status", None)
            result = self.snapshot[name] = getter(self.eventtime) if getter is not None else {}
        return result

    def changes(self, name: str, current: dict[str, Any]) -> frozenset[str] | set[str]:
        changed = self._changes.get(name)
        if changed is None:
            last = self.previous.get(name, _NOTHING)
            if current is last:
                changed = _NO_CHANGES
            else:
                changed = {key for key in current.keys() | last.keys() if current.get(key) != last.get(key)}
            self._changes[name] = changed
        return changed

    def _requested(self, objects: Objects) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
        """Each object's fields and status; "all fields" (None) is pinned to the
        fields the object has the first time it has any, as Klippy does."""
        for name, fields in objects.items():
            current = self.status(name)
            if fields is None:
                fields = list(current)
                if fields:
                    objects[name] = fields
            yield name, fields, current

    def full(self, objects: Objects) -> dict[str, Any]:
        """A query answer: every requested object and field, changed or not."""
        return {name: {field: current.get(field) for field in fields}
                for name, fields, current in self._requested(objects)}

    def changed(self, objects: Objects) -> dict[str, Any]:
        """A subscription push: only fields that differ from the previous tick."""
        result = {}
        for name, fields, current in self._requested(objects):
            changed = self.changes(name, current)
            if changed:
                values = {field: current.get(field) for field in fields if field in changed}
                if values:
                    result[name] = values
        return result


class QueryStatusHelper:
    """The three objects/* endpoints and the status timer behind them."""

    def __init__(self, host: KlippyHost):
        self.host = host
        self.subscriptions: dict[ClientConnection, _Subscription] = {}
        self.pending: list[tuple[Objects, Callable[[dict[str, Any]], None]]] = []
        self.timer: IDelayedCall | None = None
        self.last_snapshot: dict[str, dict[str, Any]] = {}
        host.webhooks.register_endpoint("objects/list", self._handle_list)
        host.webhooks.register_endpoint("objects/query", self._handle_query)
        host.webhooks.register_endpoint("objects/subscribe", self._handle_subscribe)

    def _handle_list(self, request: WebRequest) -> None:
        names = [name for name, obj in self.host.objects.items() if hasattr(obj, "get_status")]
        request.send({"objects": names})

    def _handle_subscribe(self, request: WebRequest) -> Deferred[None]:
        return self._handle_query(request, subscribe=True)

    def _handle_query(self, request: WebRequest, subscribe: bool = False) -> Deferred[None]:
        objects = request.get_dict("objects")
        for name, fields in objects.items():
            if fields is not None and (type(fields) is not list or any(type(f) is not str for f in fields)):
                raise WebRequestError("Invalid argument")
        connection = request.connection
        template = request.get_dict("response_template", {})
        if subscribe:
            self.subscriptions.pop(connection, None)
        answered: Deferred[dict[str, Any]] = Deferred()
        self.pending.append((objects, answered.callback))
        if self.timer is None:
            self.timer = self.host.timers.call_later(0, self._tick)

        def reply(params: dict[str, Any]) -> None:
            request.send(params)
            if subscribe:
                self.subscriptions[connection] = _Subscription(objects, template)

        return answered.addCallback(reply)

    def _tick(self) -> None:
        eventtime = self.host.timers.monotonic()
        tick = _Tick(self.host, eventtime, self.last_snapshot)
        pending, self.pending = self.pending, []
        answers = [(tick.full(objects), deliver) for objects, deliver in pending]
        pushes: dict[bytes, bytes | None] = {}
        for connection, subscription in list(self.subscriptions.items()):
            if connection.closed:
                del self.subscriptions[connection]
                continue
            key = subscription.key()
            payload = pushes.get(key) if key is not None else None
            if payload is None and (key is None or key not in pushes):
                payload = self._encode_push(tick, subscription)
                if key is not None:
                    pushes[key] = payload
            if payload is not None:
                connection.send_encoded(payload)
        self.last_snapshot = tick.snapshot
        for status, deliver in answers:
            deliver({"eventtime": eventtime, "status": status})
        if not tick.snapshot:
            self.timer = None
            return
        self.timer = self.host.timers.call_later(SUBSCRIPTION_REFRESH_TIME, self._tick)

    @staticmethod
    def _encode_push(tick: _Tick, subscription: _Subscription) -> bytes | None:
        status = tick.changed(subscription.objects)
        if not status:
            return None
        push = dict(subscription.template)
        push["params"] = {"eventtime": tick.eventtime, "status": status}
        return encode(push)
