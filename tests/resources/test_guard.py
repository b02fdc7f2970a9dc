"""The HTTP guard on in-memory requests: credentials, open routes, waiting for a host name."""

from __future__ import annotations

from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from twisted.web.test.requesthelper import DummyRequest

from moontwist.api import Request, Transport
from moontwist.resources.guard import HttpGuard
from moontwist.services.authorization.addresses import TrustedClients
from tests.services.authorization.helpers import make_auth


class Inner(Resource):
    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.users: list[Any] = []

    def render(self, request: Any) -> bytes:
        self.users.append(request.moontwist_user)
        return b"inner"


def make_request(target: bytes, method: bytes = b"GET", ip: str = "203.0.113.7",
                 headers: dict[bytes, bytes] | None = None) -> DummyRequest:
    request = DummyRequest(target.split(b"?")[0].strip(b"/").split(b"/"))
    request.method, request.uri, request.path = method, target, target.split(b"?")[0]
    request.client = IPv4Address("TCP", ip, 40000)
    request.isSecure = lambda: False  # type: ignore[attr-defined]
    for name, value in (headers or {}).items():
        request.requestHeaders.setRawHeaders(name, [value])
    return request


class GuardTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.auth, self.ctx, self.clock = make_auth(self, "trusted_clients:\n    192.168.1.0/24\n")
        self.guard = HttpGuard(self.auth, self.ctx.registry, "/printer")
        self.inner = Inner()
        self.token = self.successResultOf(self.ctx.registry.dispatch(self.post_user()))["token"]

    def post_user(self) -> Request:
        return Request("access.post_user", {"username": "alice", "password": "pw"}, Transport.UNIX)

    def render(self, request: DummyRequest) -> Any:
        return self.guard.wrap(self.inner).render(request)

    def test_token_is_read_from_bearer_access_token_header_or_query(self) -> None:
        for target, headers in [(b"/printer/server/info", {b"authorization": b"Bearer " + self.token.encode()}),
                                (b"/printer/server/info", {b"x-access-token": self.token.encode()}),
                                (b"/printer/server/info?access_token=" + self.token.encode(), {})]:
            self.assertEqual(self.render(make_request(target, headers=headers)), b"inner")
        self.assertEqual([user["username"] for user in self.inner.users], ["alice"] * 3)

    def test_authorization_header_that_is_not_bearer_is_no_token(self) -> None:
        request = make_request(b"/printer/server/info", headers={b"authorization": b"Basic " + self.token.encode()})
        self.render(request)
        self.assertEqual(request.responseCode, 401)

    def test_open_routes(self) -> None:
        is_open = self.guard.is_open
        self.assertTrue(is_open(b"POST", b"/printer/access/login"))
        self.assertTrue(is_open(b"HEAD", b"/printer/access/info"))
        self.assertTrue(is_open(b"GET", b"/printer/server/files/gcodes/.thumbs/a%2Epng"))
        self.assertFalse(is_open(b"DELETE", b"/printer/server/files/gcodes/.thumbs/a.png"))
        self.assertFalse(is_open(b"GET", b"/printer/server/files/config/printer.cfg"))
        self.assertFalse(is_open(b"POST", b"/access/login"))
        self.assertFalse(is_open(b"GET", b"/printer/access/login"))

    def test_request_waits_for_a_host_name_lookup(self) -> None:
        lookup: Deferred[str | None] = Deferred()
        self.auth.trusted = TrustedClients(self.auth.trusted.entries, self.clock, lambda ip: lookup)
        self.auth.trusted.entries.hostnames.add("laptop.lan")
        request = make_request(b"/printer/server/info", ip="10.0.0.9")
        self.assertIs(self.render(request), NOT_DONE_YET)
        lookup.callback("laptop.lan")
        self.assertEqual((request.written, request.finished), ([b"inner"], 1))
        self.assertEqual(self.inner.users[0]["username"], "_TRUSTED_USER_")

    def test_refusal_after_a_lookup_is_written_as_json(self) -> None:
        lookup: Deferred[str | None] = Deferred()
        self.auth.trusted = TrustedClients(self.auth.trusted.entries, self.clock, lambda ip: lookup)
        self.auth.trusted.entries.hostnames.add("laptop.lan")
        request = make_request(b"/printer/server/info", ip="10.0.0.9")
        self.render(request)
        lookup.callback(None)
        self.assertEqual(request.responseCode, 401)
        self.assertIn(b'"message":"Unauthorized"', b"".join(request.written))

    def test_early_refusal_spends_no_oneshot_token(self) -> None:
        alice = self.auth.user_from_token(self.token, "access")
        oneshot = self.auth.oneshot.issue(alice, "203.0.113.7")
        target = b"/printer/server/files/upload?token=" + oneshot.encode()
        self.assertIsNone(self.guard.refusal(make_request(target, b"POST"), b"POST", target))
        self.assertEqual(self.render(make_request(target, b"POST")), b"inner")
        refusal = self.guard.refusal(make_request(target, b"POST"), b"POST", target)
        self.assertEqual((refusal.status, refusal.message), (401, "Invalid oneshot token"))  # type: ignore[union-attr]
