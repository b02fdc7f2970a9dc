"""The site's access log (written only when verbose) never shows a credential."""

from __future__ import annotations

from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from moontwist.api import Registry
from moontwist.resources.http import HttpApi
from moontwist.resources.site import ApiSite, redact_query


class AccessLogTests(SynchronousTestCase):
    def test_verbose_access_log_hides_oneshot_tokens_and_jwts_in_the_query(self) -> None:
        path = Path(self.mktemp())
        site = ApiSite(Resource(), logPath=str(path))
        site.access_log = True
        site.startFactory()
        request = Request(DummyChannel())
        request.method, request.clientproto = b"GET", b"HTTP/1.1"
        request.uri = b"/server/files/gcodes/a.gcode?token=ONESHOTSECRET&size=1&access_token=JWTSECRET"
        request.requestHeaders.setRawHeaders(b"referer", [b"http://printer/?access%5Ftoken=REFERERSECRET"])
        site.log(request)
        site.stopFactory()
        line = path.read_text()
        self.assertIn('"GET /server/files/gcodes/a.gcode?token=***&size=1&access_token=*** HTTP/1.1" 200', line)
        self.assertIn('"http://printer/?access%5Ftoken=***"', line)
        for secret in ("ONESHOTSECRET", "JWTSECRET", "REFERERSECRET"):
            self.assertNotIn(secret, line)

    def test_redaction_keeps_other_arguments_and_bare_names(self) -> None:
        self.assertEqual(redact_query(b"/printer/objects/query?extruder&toolhead=x"),
                         b"/printer/objects/query?extruder&toolhead=x")
        self.assertEqual(redact_query(b"/websocket?token="), b"/websocket?token=***")
        self.assertEqual(redact_query(b"/websocket"), b"/websocket")


class UpgradeRouteTests(SynchronousTestCase):
    """Upgrade paths are served outside Klein: its per-request deferreds would
    live as long as the websocket."""

    def setUp(self) -> None:
        self.api = HttpApi(Registry(), prefix="printer")
        self.seen: list[bytes] = []
        self.api.upgrade("/websocket", lambda request: self.seen.append(request.path) or b"upgraded")
        self.api.build()

    def render(self, method: bytes, path: bytes) -> tuple[Request, object]:
        request = Request(DummyChannel())
        request.method, request.clientproto, request.uri, request.path = method, b"HTTP/1.1", path, path
        request.prepath, request.postpath = [], path.split(b"/")[1:]
        return request, self.api.render(request)

    def test_an_upgrade_path_goes_to_its_handler_for_any_verb_under_the_prefix(self) -> None:
        for method in (b"GET", b"POST"):
            self.assertEqual(self.render(method, b"/printer/websocket")[1], b"upgraded")
        self.assertEqual(self.seen, [b"/printer/websocket"] * 2)

    def test_other_paths_still_go_to_klein(self) -> None:
        for path in (b"/websocket", b"/printer/websocket/more"):
            request, _ = self.render(b"GET", path)
            self.assertEqual(request.code, 404)
        self.assertEqual(self.seen, [])
