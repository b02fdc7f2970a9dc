"""Notifiers on the daemon: Apprise's json:// to a receiver on loopback, job events from the simulator."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

from twisted.internet import reactor
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for
from tests.integration.test_jobs import KLIPPY_SOCKET, extruding_print, start_with_simulator


class _Receiver(Resource):
    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []

    def render_POST(self, request: Request) -> bytes:
        self.messages.append(json.loads(request.content.read()))
        return b"{}"


class NotifierTests(TestCase):
    timeout = 90

    def receiver(self) -> tuple[_Receiver, str]:
        receiver = _Receiver()
        site = Site(receiver)
        site.noisy = False
        port = reactor.listenTCP(0, site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        return receiver, f"json://127.0.0.1:{port.getHost().port}"

    async def test_a_print_notifies_its_start_and_completion(self) -> None:
        receiver, url = self.receiver()
        daemon = await start_with_simulator(self, (
            f"\n[notifier phone]\nurl: {url}\nevents: started, complete\ntitle: {{event_name | upper}}\n"
            "body: {event_args[1].filename} is {event_name}\n"
            f"\n[notifier everything]\nurl: {url}/all\nevents: *\n"))
        (daemon.data_path / "gcodes" / "part.gcode").write_text(extruding_print(lines=8))
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.print.start", {"filename": "part.gcode"})
        await wait_for(lambda: len(receiver.messages) >= 4, timeout=60)
        phone = [(m["title"], m["message"]) for m in receiver.messages if m["title"]]
        self.assertEqual(phone, [("STARTED", "part.gcode is started"), ("COMPLETE", "part.gcode is complete")])
        self.assertEqual(sorted(m["message"] for m in receiver.messages if not m["title"]), ["complete", "started"])

    async def test_list_remote_notify_and_attachments(self) -> None:
        receiver, url = self.receiver()

        def prepare(data_path: Any) -> None:
            (data_path / "gcodes").mkdir()
            (data_path / "gcodes" / "snapshot.png").write_bytes(b"\x89PNG fake")

        daemon = await start_daemon(self, BASE_CONFIG + KLIPPY_SOCKET.format(data_path="/nonexistent") + (
            f"\n[notifier macro]\nurl: {url}\nevents: error\nbody: {{event_message}}\n"
            "attach:\n  {secrets.paths.gcodes}/snapshot.png\n  /etc/hostname\n"), prepare=lambda path: (
                prepare(path), (path / "moonraker.secrets").write_text(f"[paths]\ngcodes: {path}/gcodes\n")))
        client = await connect_websocket(self, daemon.ws_url)
        listed = (await client.call("server.notifiers.list"))["result"]["notifiers"]
        self.assertEqual(listed, [{"name": "macro", "url": url, "title": None, "body": "{event_message}",
                                   "body_format": None, "events": ["error"],
                                   "attach": "\n{secrets.paths.gcodes}/snapshot.png\n/etc/hostname"}])
        daemon.ctx.component("klippy").remote_method_called("notify", {"name": "macro", "message": "Filament out"})
        await wait_for(lambda: receiver.messages, timeout=20)
        [message] = receiver.messages
        self.assertEqual(message["message"], "Filament out")
        self.assertEqual([(a["filename"], base64.b64decode(a["base64"])) for a in message["attachments"]],
                         [("snapshot.png", b"\x89PNG fake")])
        self.assertIn("[notifier macro]: Invalid attachment detected, no read permission for the file /etc/hostname.",
                      daemon.ctx.warnings)
        answer = await client.call("debug.notifiers.test", {"name": "macro"})
        self.assertEqual(answer["error"]["code"], -32601)

    async def test_debug_test_sends_and_bad_sections_are_warnings(self) -> None:
        receiver, url = self.receiver()
        daemon = await start_daemon(self, BASE_CONFIG + (
            f"\n[notifier ok]\nurl: {url}\nevents: complete\n"
            "\n[notifier bad]\nurl: not a url\nevents: *\n"
            f"\n[notifier format]\nurl: {url}\nevents: *\nbody_format: rtf\n"), debug=True)
        self.assertIn("Failed to load notifier[notifier bad]\nInvalid url for: notifier bad", daemon.ctx.warnings)
        self.assertIn("Failed to load notifier[notifier format]\nInvalid body_format for notifier format",
                      daemon.ctx.warnings)
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("debug.notifiers.test", {"name": "ok"})
        self.assertEqual((answer["result"]["status"], answer["result"]["stats"]["filename"]),
                         ("success", "notifier_test.gcode"))
        self.assertEqual([m["message"] for m in receiver.messages], ["complete"])
        answer = await client.call("debug.notifiers.test", {"name": "nope"})
        self.assertEqual(answer["error"], {"code": -32601, "message": "Notifier 'nope' not found"})

    async def test_without_apprise_the_component_fails_with_a_clear_warning(self) -> None:
        saved = sys.modules.get("apprise")
        sys.modules["apprise"] = None  # type: ignore[assignment]
        self.addCleanup(lambda: sys.modules.__setitem__("apprise", saved) if saved else sys.modules.pop("apprise"))
        daemon = await start_daemon(self, BASE_CONFIG + "\n[notifier x]\nurl: json://127.0.0.1:1\nevents: *\n")
        self.assertIn("notifier", daemon.ctx.failed_components)
        self.assertIn("Unable to load component (notifier): [notifier] sections need the apprise package "
                      "(pip install 'moontwist[notifier]')", daemon.ctx.warnings)
