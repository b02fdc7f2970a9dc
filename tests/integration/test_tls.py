"""HTTPS and WSS on ssl_port with a generated certificate; bad certificates stop start-up."""

from __future__ import annotations

import re
import socket
import ssl
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import SSL4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.ssl import Certificate, optionsForClientTLS
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from moontwist.app import StartupError, build
from moontwist.context import Options
from tests.integration.certs import write_chain, write_self_signed
from tests.integration.clients import connect_unix
from tests.integration.daemon import BASE_CONFIG, short_temp_dir, start_daemon


class RawHttp(Protocol):
    def __init__(self, request: bytes) -> None:
        self.request = request
        self.data = b""
        self.done: Deferred[bytes] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: object = None) -> None:
        self.done.callback(self.data)


class TLSTests(TestCase):
    async def start_with_certificate(self, config: str = BASE_CONFIG) -> tuple[Any, bytes]:
        folder = short_temp_dir(self)
        cert_path, _ = write_self_signed(folder / "certs")
        daemon = await start_daemon(self, config + f"ssl_certificate_path: {folder}/certs/moonraker.cert\n"
                                    f"ssl_key_path: {folder}/certs/moonraker.key\n")
        return daemon, cert_path.read_bytes()

    async def https_get(self, port: int, pem: bytes, path: str, method: str = "GET", headers: str = "",
                        body: bytes = b"") -> bytes:
        options = optionsForClientTLS("localhost", Certificate.loadPEM(pem))
        endpoint = SSL4ClientEndpoint(reactor, "127.0.0.1", port, options)
        head = (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}"
                f"Content-Length: {len(body)}\r\n\r\n")
        protocol = RawHttp(head.encode() + body)
        await connectProtocol(endpoint, protocol)
        return await protocol.done

    async def test_https_applies_the_same_authorization(self) -> None:
        untrusted = BASE_CONFIG.replace("trusted_clients:\n    127.0.0.0/8\n    ::1/128\n", "")
        self.assertNotEqual(untrusted, BASE_CONFIG)
        daemon, pem = await self.start_with_certificate(untrusted)
        port = daemon.port_of("https")
        refused = await self.https_get(port, pem, "/server/info")
        self.assertTrue(refused.startswith(b"HTTP/1.1 401"))
        unix = await connect_unix(self, daemon.unix_path)
        await unix.call("access.post_user", {"username": "alice", "password": "over-tls"})
        login = await self.https_get(port, pem, "/access/login", "POST", "Content-Type: application/json\r\n",
                                     b'{"username": "alice", "password": "over-tls"}')
        self.assertTrue(login.startswith(b"HTTP/1.1 200"))
        token = re.search(rb'"token":\s*"([^"]+)"', login).group(1).decode()  # type: ignore[union-attr]
        allowed = await self.https_get(port, pem, "/server/info", headers=f"Authorization: Bearer {token}\r\n")
        self.assertTrue(allowed.startswith(b"HTTP/1.1 200"))

    async def test_https_serves_server_info(self) -> None:
        daemon, pem = await self.start_with_certificate()
        raw = await self.https_get(daemon.port_of("https"), pem, "/server/info")
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"))
        self.assertIn(b'"klippy_state"', body)

    async def test_lets_encrypt_fullchain_in_the_data_folder_is_served_with_its_intermediate(self) -> None:
        roots: list[bytes] = []
        daemon = await start_daemon(self, prepare=lambda data: roots.append(write_chain(data / "certs")))
        # The client trusts only the root: the handshake succeeds only if the intermediate is sent.
        raw = await self.https_get(daemon.port_of("https"), roots[0], "/server/info")
        self.assertTrue(raw.startswith(b"HTTP/1.1 200"))

    async def test_tls_below_1_2_is_refused_by_the_server(self) -> None:
        daemon, _ = await self.start_with_certificate()
        port = daemon.port_of("https")

        def handshake_with_tls_1_1() -> str:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                try:
                    with context.wrap_socket(raw, server_hostname="localhost"):
                        return "handshake succeeded"
                except ssl.SSLError as error:
                    return error.reason or str(error)

        reason = await deferToThread(handshake_with_tls_1_1)
        self.assertIn("PROTOCOL_VERSION", reason)

    def test_certificate_that_is_not_pem_stops_start_up(self) -> None:
        folder = short_temp_dir(self)
        (folder / "config").mkdir()
        (folder / "bad.cert").write_text("not a certificate")
        (folder / "bad.key").write_text("not a key")
        (folder / "config" / "moonraker.conf").write_text(
            BASE_CONFIG + f"ssl_certificate_path: {folder}/bad.cert\nssl_key_path: {folder}/bad.key\n")
        options = Options(folder, folder / "config" / "moonraker.conf", None, folder / "comms" / "m.sock")
        error = self.assertRaises(StartupError, build, options, reactor)
        self.assertIn("is not a PEM certificate", str(error))
