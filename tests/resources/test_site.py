"""The site's access log (written only when verbose) never shows a credential."""

from __future__ import annotations

from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

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
