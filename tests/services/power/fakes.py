"""Smart plugs on loopback, speaking their real protocols: Tasmota, Shelly (Gen1),
Home Assistant's REST API, a TP-Link Kasa plug or strip, and a device that never answers."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from moontwist.protocols.tplink import decrypt, encrypt


class _JsonApi(Resource):
    isLeaf = True

    def __init__(self, device: "FakeHttpDevice") -> None:
        super().__init__()
        self.device = device

    def render(self, request: Request) -> bytes:
        query = {key.decode(): values[-1].decode() for key, values in request.args.items()}
        body = request.content.read()
        self.device.requests.append((request.method.decode(), request.path.decode(), query, body,
                                     dict((k.decode().lower(), v[0].decode())
                                          for k, v in request.requestHeaders.getAllRawHeaders())))
        status, answer = self.device.handle(request.method.decode(), request.path.decode(), query, body)
        request.setResponseCode(status)
        request.setHeader("content-type", "application/json")
        return json.dumps(answer).encode()


class LoopbackFake:
    """Base: listens on 127.0.0.1 on a free port with the factory ``make_factory`` gives."""

    port: Any = None

    def make_factory(self) -> Any:
        raise NotImplementedError

    def start(self) -> Any:
        factory = self.make_factory()
        factory.noisy = False
        self.port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        return self

    def stop(self) -> Any:
        return self.port.stopListening()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port.getHost().port}"


class FakeHttpDevice(LoopbackFake):
    """Base: a twisted.web site on 127.0.0.1 that records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes, dict[str, str]]] = []

    def make_factory(self) -> Any:
        return Site(_JsonApi(self))

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        raise NotImplementedError


class FakeTasmota(FakeHttpDevice):
    """``/cm?user=&password=&cmnd=Power1 on`` as Tasmota answers it."""

    def __init__(self, relays: int = 1, password: str = "") -> None:
        super().__init__()
        self.relays = {index: False for index in range(1, relays + 1)}
        self.password = password

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if path != "/cm":
            return 404, {}
        if query.get("password", "") != self.password:
            return 401, {"WARNING": "Need user=<username>&password=<password>"}
        command = query.get("cmnd", "")
        for part in command.split(";"):
            words = part.strip().split()
            if not words or not words[0].lower().startswith("power"):
                continue
            index = int(words[0][5:] or 1)
            if len(words) > 1:
                self.relays[index] = words[1].lower() in ("on", "1", "true")
            key = "POWER" if len(self.relays) == 1 else f"POWER{index}"
            return 200, {key: "ON" if self.relays[index] else "OFF"}
        return 200, {"Command": "Unknown"}


class FakeShelly(FakeHttpDevice):
    """Gen1 ``/relay/<id>?turn=on|off[&timer=s]``."""

    def __init__(self, user: str = "", password: str = "") -> None:
        super().__init__()
        self.on = False
        self.timer = 0
        self.credentials = (user, password)

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if path != "/relay/0":
            return 404, {}
        turn = query.get("turn")
        if turn is not None:
            self.on = turn == "on"
            self.timer = int(query.get("timer", "0"))
        return 200, {"ison": self.on, "has_timer": bool(self.timer), "timer_started": 0,
                     "timer_duration": self.timer, "timer_remaining": self.timer, "source": "http"}


class FakeHomeAssistant(FakeHttpDevice):
    """``GET /api/states/<entity>``, ``POST /api/services/<domain>/turn_on|off`` with a bearer token."""

    def __init__(self, token: str, entity: str = "switch.printer") -> None:
        super().__init__()
        self.token = token
        self.entity = entity
        self.on = False

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        headers = self.requests[-1][4]
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}
        if method == "GET" and path == f"/api/states/{self.entity}":
            return 200, {"entity_id": self.entity, "state": "on" if self.on else "off", "attributes": {}}
        if method == "POST" and path in ("/api/services/switch/turn_on", "/api/services/switch/turn_off"):
            if json.loads(body).get("entity_id") != self.entity:
                return 400, {"message": "unknown entity"}
            self.on = path.endswith("turn_on")
            return 200, [{"entity_id": self.entity, "state": "on" if self.on else "off"}]
        return 404, {"message": "Not Found"}


class _KasaConnection(Protocol):
    def __init__(self, plug: "FakeTPLink") -> None:
        self.plug = plug
        self.buffer = b""

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) < 4:
            return
        length = int.from_bytes(self.buffer[:4], "big")
        if len(self.buffer) - 4 < length:
            return
        request = json.loads(decrypt(self.buffer[4:4 + length]))
        self.plug.requests.append(request)
        self.transport.write(encrypt(self.plug.handle(request)))
        self.transport.loseConnection()


class FakeTPLink(LoopbackFake):
    """A Kasa plug (``outlets=0``) or strip: sysinfo, relay state, countdown rules."""

    def __init__(self, outlets: int = 0) -> None:
        self.relay = 0
        self.children = [{"id": f"80067AC{index:02d}", "state": 0, "alias": f"Plug {index}"} for index in range(outlets)]
        self.rules: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []

    def make_factory(self) -> Any:
        return Factory.forProtocol(lambda: _KasaConnection(self))

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        system = request.get("system", {})
        if "get_sysinfo" in system:
            info: dict[str, Any] = {"alias": "Printer", "model": "HS103(US)", "err_code": 0}
            if self.children:
                info.update(model="HS300(US)", children=self.children, child_num=len(self.children))
            else:
                info["relay_state"] = self.relay
            return {"system": {"get_sysinfo": info}}
        if "set_relay_state" in system:
            state = system["set_relay_state"]["state"]
            child_ids = request.get("context", {}).get("child_ids")
            if child_ids:
                for child in self.children:
                    if child["id"] in child_ids:
                        child["state"] = state
            else:
                self.relay = state
            return {"system": {"set_relay_state": {"err_code": 0}}}
        countdown = request.get("count_down", {})
        if "delete_all_rules" in countdown:
            self.rules.clear()
            return {"count_down": {"delete_all_rules": {"err_code": 0}}}
        if "add_rule" in countdown:
            self.rules.append(countdown["add_rule"])
            return {"count_down": {"add_rule": {"id": "7C90311A1CD3227F25C6001D88F7FC13", "err_code": 0}}}
        return {"system": {"err_code": -1, "err_msg": "module not support"}}


class _Silent(Protocol):
    def connectionMade(self) -> None:
        self.factory.connections.append(self)


class SilentDevice(LoopbackFake):
    """Accepts connections and never answers (a plug that hangs)."""

    def __init__(self) -> None:
        self.connections: list[_Silent] = []

    def make_factory(self) -> Any:
        factory = Factory.forProtocol(_Silent)
        factory.connections = self.connections
        return factory

    async def stop(self) -> None:
        for connection in self.connections:
            connection.transport.abortConnection()
        await self.port.stopListening()


class FakeHomeSeer(FakeHttpDevice):
    """``/JSON?request=getstatus|controldevicebylabel&ref=N[&label=On]``."""

    def __init__(self, ref: int = 42) -> None:
        super().__init__()
        self.ref = ref
        self.on = False

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if path != "/JSON" or query.get("ref") != str(self.ref):
            return 404, {}
        if query.get("request") == "controldevicebylabel":
            self.on = query.get("label") == "On"
            return 200, {"Response": "ok"}
        return 200, {"Name": "HomeSeer Devices", "Devices": [{"ref": self.ref, "status": "On" if self.on else "Off"}]}


class FakeLoxone(FakeHttpDevice):
    """Miniserver v1: ``/jdev/sps/io/<name>[/on|off]`` answering ``{"LL": {"value": "1"}}``."""

    def __init__(self, output: str = "Printer") -> None:
        super().__init__()
        self.output = output
        self.on = False

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:4] != ["jdev", "sps", "io", self.output]:
            return 404, {}
        if len(parts) == 5:
            self.on = parts[4] == "on"
        value = "1" if self.on else "0"
        return 200, {"LL": {"control": "/".join(parts), "value": value, "Code": "200"}}


class FakeSmartThings(FakeHttpDevice):
    """``/v1/devices/<id>/commands`` and ``.../components/main/capabilities/switch/status``."""

    def __init__(self, token: str, device: str = "d3d1c8e1") -> None:
        super().__init__()
        self.token = token
        self.device = device
        self.on = False

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if self.requests[-1][4].get("authorization") != f"Bearer {self.token}":
            return 401, {"error": {"code": "UnauthorizedError"}}
        if method == "POST" and path == f"/v1/devices/{self.device}/commands":
            command = json.loads(body)[0]
            self.on = command["command"] == "on"
            return 200, {"results": [{"id": "a1b2", "status": "ACCEPTED"}]}
        if method == "GET" and path == f"/v1/devices/{self.device}/components/main/capabilities/switch/status":
            return 200, {"switch": {"value": "on" if self.on else "off", "timestamp": "2026-12-02T06:00:00Z"}}
        return 404, {"error": {"code": "NotFoundError"}}


class FakeHue(FakeHttpDevice):
    """A Hue bridge: ``/api/<key>/lights/<id>`` and ``PUT .../state`` (groups: ``/groups/<id>/action``)."""

    def __init__(self, key: str, kind: str = "light", device_id: str = "3") -> None:
        super().__init__()
        self.key = key
        self.kind = kind
        self.device_id = device_id
        self.on = False

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        base = f"/api/{self.key}/{self.kind}s/{self.device_id}"
        state_key = "action" if self.kind == "group" else "state"
        if method == "GET" and path == base:
            state = {"all_on": self.on, "any_on": self.on} if self.kind == "group" else {"on": self.on, "bri": 254}
            return 200, {"state": state, "name": "Printer lamp"}
        if method == "PUT" and path == f"{base}/{state_key}":
            self.on = bool(json.loads(body)["on"])
            return 200, [{"success": {f"/{self.kind}s/{self.device_id}/{state_key}/on": self.on}}]
        return 200, [{"error": {"type": 3, "address": path, "description": "resource not available"}}]


class FakeRelayBoard(FakeHttpDevice):
    """A do-it-yourself relay board: ``GET /relay[?turn=on|off]`` or ``POST /relay {"state": ...}``,
    answering ``{"state": "on"}``; with ``token`` set, requests need ``X-Token``."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.on = False
        self.token = token

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if self.token and self.requests[-1][4].get("x-token") != self.token:
            return 403, {"error": "bad token"}
        if path != "/relay":
            return 404, {"error": "not found"}
        if method == "POST":
            self.on = json.loads(body)["state"] == "on"
        elif "turn" in query:
            self.on = query["turn"] == "on"
        return 200, {"state": "on" if self.on else "off"}
