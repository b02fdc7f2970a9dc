"""Notifiers sending through Apprise to a local HTTP receiver (``json://``) during a
simulated print, ``server.notifiers.list`` and ``debug.notifiers.test``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.python.filepath import FilePath
from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.macros import start_with_macros
from tests.integration.process import wait_for
from tests.integration.receiver import Receiver, start_receiver
from tests.integration.test_jobs import long_print, short_print, start_with_simulator


def notifier_config(port: int, events: str = "*") -> str:
    return f"""
[notifier phone]
url: json://127.0.0.1:{port}/hook
events: {events}
title: Printer {{event_name}}
body: {{event_name}}: {{event_args[1].filename}} is {{event_args[1].state}}
"""


def messages(receiver: Receiver) -> list[tuple[str, str]]:
    return [(r.json()["title"], r.json()["message"]) for r in receiver.requests]


async def post(test: TestCase, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = await http_client(test).post(url, json=body or {})
    return response.code, json.loads(await response.text())


class NotifierPrintTests(TestCase):
    timeout = 120

    async def test_each_job_event_of_a_print_sends_its_rendered_message(self) -> None:
        receiver = await start_receiver(self)
        daemon = await start_with_simulator(self, notifier_config(receiver.port))
        gcodes = daemon.data_path / "gcodes"
        (gcodes / "long.gcode").write_text(long_print())
        (gcodes / "short.gcode").write_text(short_print())
        url = daemon.http_url + "/printer/print/"
        await post(self, url + "start", {"filename": "long.gcode"})
        await wait_for(lambda: len(receiver.requests) == 1, timeout=30)
        await post(self, url + "pause")
        await wait_for(lambda: len(receiver.requests) == 2, timeout=30)
        await post(self, url + "resume")
        await wait_for(lambda: len(receiver.requests) == 3, timeout=30)
        await post(self, url + "cancel")
        await wait_for(lambda: len(receiver.requests) == 4, timeout=30)
        await post(self, url + "start", {"filename": "short.gcode"})
        await wait_for(lambda: len(receiver.requests) == 6, timeout=60)
        self.assertEqual(messages(receiver), [
            ("Printer started", "started: long.gcode is printing"),
            ("Printer paused", "paused: long.gcode is paused"),
            ("Printer resumed", "resumed: long.gcode is printing"),
            ("Printer cancelled", "cancelled: long.gcode is cancelled"),
            ("Printer started", "started: short.gcode is printing"),
            ("Printer complete", "complete: short.gcode is complete"),
        ])
        self.assertEqual({r.path for r in receiver.requests}, {"/hook"})

    async def test_only_the_listed_events_are_sent(self) -> None:
        receiver = await start_receiver(self)
        daemon = await start_with_simulator(self, notifier_config(receiver.port, "complete, error"))
        (daemon.data_path / "gcodes" / "short.gcode").write_text(short_print())
        await post(self, daemon.http_url + "/printer/print/start", {"filename": "short.gcode"})
        await wait_for(lambda: len(receiver.requests) == 1, timeout=60)
        self.assertEqual(messages(receiver), [("Printer complete", "complete: short.gcode is complete")])


class NotifierApiTests(TestCase):
    async def test_list_shows_each_notifier_as_configured(self) -> None:
        config = BASE_CONFIG + """
[notifier phone]
url: json://127.0.0.1:9/{secrets.hook.path}
events: started, complete
body: Done {event_name}
body_format: markdown
"""
        daemon = await start_daemon(
            self, config, prepare=lambda data: (data / "moonraker.secrets").write_text('{"hook": {"path": "p"}}'))
        self.assertEqual(daemon.ctx.component("notifier").notifiers["phone"].options.url, "json://127.0.0.1:9/p")
        code, body = await self._get(daemon.http_url + "/server/notifiers/list")
        self.assertEqual((code, body["result"]), (200, {"notifiers": [{
            "name": "phone", "url": "json://127.0.0.1:9/{secrets.hook.path}", "title": None,
            "body": "Done {event_name}", "body_format": "markdown", "events": ["started", "complete"],
            "attach": None}]}))
        info = (await self._get(daemon.http_url + "/server/info"))[1]["result"]
        self.assertIn("notifier", info["components"])
        self.assertEqual(info["warnings"], [])
        self.assertIsNone(daemon.ctx.registry.by_method("debug.notifiers.test"))

    async def test_bad_sections_are_warnings_and_cost_only_their_notifier(self) -> None:
        config = BASE_CONFIG + """
[notifier nourl]
url: not a url
events: *

[notifier badformat]
url: json://127.0.0.1:9/
events: *
body_format: rtf

[notifier badtemplate]
url: json://127.0.0.1:9/
events: *
body: {% if %}
"""
        daemon = await start_daemon(self, config)
        warnings = daemon.ctx.warnings
        self.assertIn("Failed to load notifier[notifier nourl]\nInvalid url for: notifier nourl", warnings)
        self.assertIn("Failed to load notifier[notifier badformat]\nInvalid body_format for notifier badformat", warnings)
        [template_warning] = [w for w in warnings if "badtemplate" in w]
        self.assertIn("[notifier badtemplate]: Option 'body' encountered the following error while parsing: "
                      "Error compiling Jinja2 template", template_warning)
        self.assertEqual(daemon.ctx.component("notifier").notifiers, {})

    async def test_no_notifier_section_no_component(self) -> None:
        daemon = await start_daemon(self)
        self.assertNotIn("notifier", daemon.ctx.components)
        self.assertIsNone(daemon.ctx.registry.by_method("server.notifiers.list"))

    async def test_debug_test_sends_the_first_event_with_a_test_file_name(self) -> None:
        receiver = await start_receiver(self)
        daemon = await start_daemon(self, BASE_CONFIG + notifier_config(receiver.port, "complete"), debug=True)
        code, body = await post(self, daemon.http_url + "/debug/notifiers/test?name=phone")
        self.assertEqual((code, body["result"]), (200, {"status": "success", "stats": {"filename": "notifier_test.gcode"}}))
        self.assertEqual(messages(receiver), [("Printer complete", "complete: notifier_test.gcode is")])
        client = await connect_websocket(self, daemon.ws_url)
        missing = await client.call("debug.notifiers.test", {"name": "nobody"})
        self.assertEqual(missing["error"], {"code": -32601, "message": "Notifier 'nobody' not found"})

    async def test_attachments_are_checked_and_sent(self) -> None:
        receiver = await start_receiver(self)
        outside = FilePath(self.mktemp())
        outside.makedirs()
        outside.child("secret.png").setContent(b"NOT SERVED")

        def prepare(data: Path) -> None:
            (data / "config" / "snap.png").write_bytes(b"PNGDATA")
            (data / "config" / "moonraker.conf").write_text(BASE_CONFIG + f"""
[notifier cam]
url: json://127.0.0.1:{receiver.port}/
events: *
attach:
    {data}/config/{{event_name}}.png
    {data}/config/snap.png
    {outside.path}/secret.png
""")

        daemon = await start_daemon(self, None, prepare=prepare, debug=True)
        data = daemon.data_path
        await post(self, daemon.http_url + "/debug/notifiers/test?name=cam")
        [sent] = receiver.requests
        self.assertEqual([a["filename"] for a in sent.json()["attachments"]], ["snap.png"])
        self.assertIn(f"[notifier cam]: Invalid attachment detected, file does not exist: {data}/config/*.png.",
                      daemon.ctx.warnings)
        self.assertIn(f"[notifier cam]: Invalid attachment detected, no read permission for the file "
                      f"{outside.path}/secret.png.", daemon.ctx.warnings)

    async def _get(self, url: str) -> tuple[int, Any]:
        response = await http_client(self).get(url)
        return response.code, json.loads(await response.text())


NOTIFY_MACRO = """
[gcode_macro NOTIFY_PHONE]
gcode:
  {action_call_remote_method("notify", name="phone", message=params.MSG)}
"""


class NotifierRemoteMethodTests(TestCase):
    timeout = 60

    async def test_klippy_macro_sends_a_remote_action_with_its_message(self) -> None:
        receiver = await start_receiver(self)
        config = f"""
[notifier phone]
url: json://127.0.0.1:{receiver.port}/
events: complete
body: {{event_name}} says {{event_message}}
"""
        daemon = await start_with_macros(self, config, NOTIFY_MACRO)
        await post(self, daemon.http_url + "/printer/gcode/script", {"script": "NOTIFY_PHONE MSG=hello"})
        await wait_for(lambda: len(receiver.requests) == 1, timeout=20)
        self.assertEqual(receiver.requests[0].json()["message"], "remote_action says hello")


class NotifierFailureTests(TestCase):
    async def test_a_body_that_fails_to_render_does_not_stop_other_notifiers(self) -> None:
        receiver = await start_receiver(self)
        config = BASE_CONFIG + f"""
[notifier broken]
url: json://127.0.0.1:{receiver.port}/broken
events: *
body: {{ event_args[5].filename }}

[notifier working]
url: json://127.0.0.1:{receiver.port}/working
events: complete
"""
        daemon = await start_daemon(self, config)
        from moontwist.services.jobs.events import JOB_EVENT, JobEvent

        daemon.ctx.events.emit(JOB_EVENT, JobEvent.COMPLETE, {"state": "printing"}, {"state": "complete"})
        await wait_for(lambda: len(receiver.requests) == 1)
        self.assertEqual((receiver.requests[0].path, receiver.requests[0].json()["message"]), ("/working", "complete"))

    async def test_a_url_apprise_refuses_is_a_warning_and_a_500_when_used(self) -> None:
        config = BASE_CONFIG + "[notifier odd]\nurl: nosuchservice://somewhere\nevents: complete\n"
        daemon = await start_daemon(self, config, debug=True)
        await daemon.ctx.component("notifier").loaded
        self.assertIn("Failed to load notifier[notifier odd]\nApprise does not accept the url "
                      "'nosuchservice://somewhere'", daemon.ctx.warnings)
        code, body = await post(self, daemon.http_url + "/debug/notifiers/test?name=odd")
        self.assertEqual(code, 500)
        self.assertIn("Notifier 'odd' is not loaded", body["error"]["message"])
