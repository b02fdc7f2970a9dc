"""A real Mosquitto for tests: started on a free port with a generated config, stopped after.

Also an independent MQTT client (paho-mqtt, on its own thread) whose messages
arrive in the reactor as Deferreds, and a generated CA with server and client
certificates for TLS.
"""

from __future__ import annotations

import datetime
import getpass
import os
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from twisted.internet import reactor
from twisted.internet.defer import Deferred, succeed
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol, ProcessProtocol
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from twisted.trial.unittest import SkipTest, TestCase

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
WAIT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Exit(ProcessProtocol):
    def __init__(self) -> None:
        self.ended: Deferred[None] = Deferred()
        self.output = b""

    def errReceived(self, data: bytes) -> None:
        self.output = (self.output + data)[-8192:]

    def outReceived(self, data: bytes) -> None:
        self.errReceived(data)

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(None)


@dataclass
class TLSFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


class Mosquitto:
    """One broker process; started again, it keeps its port (and, with persistence, its sessions)."""

    def __init__(self, folder: Path, *, users: dict[str, str] | None = None, tls: TLSFiles | None = None,
                 require_certificate: bool = False, persistence: bool = False) -> None:
        if not os.path.exists(MOSQUITTO):
            raise SkipTest("mosquitto is not installed (scripts/bootstrap installs it as root)")
        self.folder = folder
        self.port = free_port()
        self.users = users
        self.tls = tls
        self.require_certificate = require_certificate
        self.persistence = persistence
        self._process: Any = None
        self._exit: _Exit | None = None

    def _config(self) -> Path:
        lines = [f"listener {self.port} 127.0.0.1", f"user {getpass.getuser()}",
                 f"persistence {'true' if self.persistence else 'false'}",
                 f"persistence_location {self.folder}/", "log_type error", "log_type warning"]
        if self.users is None:
            lines.append("allow_anonymous true")
        else:
            passwords = self.folder / "passwords"
            passwords.write_text("".join(f"{user}:{password}\n" for user, password in self.users.items()))
            subprocess.run(["mosquitto_passwd", "-U", str(passwords)], check=True, capture_output=True)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        if self.tls is not None:
            lines += [f"cafile {self.tls.ca}", f"certfile {self.tls.server_cert}", f"keyfile {self.tls.server_key}",
                      f"require_certificate {'true' if self.require_certificate else 'false'}"]
        path = self.folder / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    async def start(self) -> None:
        self._exit = _Exit()
        self._process = reactor.spawnProcess(self._exit, MOSQUITTO, [MOSQUITTO, "-c", str(self._config())],
                                             env=os.environ.copy())
        waited = 0.0
        while not await _accepts(self.port):
            if self._exit.ended.called:
                raise RuntimeError(f"mosquitto exited: {self._exit.output.decode(errors='replace')}")
            if waited > WAIT:
                raise RuntimeError("mosquitto did not start listening")
            await deferLater(reactor, 0.02, lambda: None)
            waited += 0.02

    async def stop(self) -> None:
        if self._exit is None or self._exit.ended.called:
            return
        self._process.signalProcess(signal.SIGTERM)
        await self._exit.ended


    def freeze(self, frozen: bool) -> None:
        """SIGSTOP: the broker's sockets stay open but nothing answers (a hung broker)."""
        self._process.signalProcess(signal.SIGSTOP if frozen else signal.SIGCONT)


async def _accepts(port: int) -> bool:
    try:
        protocol = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), Protocol())
    except Exception:
        return False
    protocol.transport.abortConnection()
    return True


async def start_mosquitto(test: TestCase, folder: Path, **options: Any) -> Mosquitto:
    broker = Mosquitto(folder, **options)
    await broker.start()
    test.addCleanup(broker.stop)
    return broker


class PahoClient:
    """paho-mqtt as the independent client: its thread hands messages to the reactor."""

    def __init__(self, port: int, version: int = 4, client_id: str = "", clean: bool = True,
                 username: str | None = None, password: str | None = None) -> None:
        import paho.mqtt.client as paho

        self.paho = paho
        protocol = {3: paho.MQTTv31, 4: paho.MQTTv311, 5: paho.MQTTv5}[version]
        kwargs: dict[str, Any] = {"protocol": protocol}
        if version != 5:
            kwargs["clean_session"] = clean
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, **kwargs)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(1, 1)
        self.port = port
        self.version = version
        self.clean = clean
        self.messages: list[Any] = []
        self._waiters: list[tuple[str, Deferred[Any]]] = []
        self._subscriptions: list[tuple[str, int]] = []
        self.connected: Deferred[None] = Deferred()
        self.client.on_message = lambda client, userdata, message: reactor.callFromThread(self._received, message)
        self.client.on_connect = self._on_connect
        self._subscribing: dict[int, Deferred[None]] = {}
        self.client.on_subscribe = lambda client, userdata, mid, codes, properties: reactor.callFromThread(
            self._subscribed, mid)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        for topic, qos in self._subscriptions:
            client.subscribe(topic, qos)
        reactor.callFromThread(lambda: self.connected.called or self.connected.callback(None))

    async def start(self, test: TestCase) -> "PahoClient":
        kwargs: dict[str, Any] = {}
        if self.version == 5:
            kwargs["clean_start"] = self.clean
            if not self.clean:
                from paho.mqtt.properties import Properties
                from paho.mqtt.packettypes import PacketTypes

                properties = Properties(PacketTypes.CONNECT)
                properties.SessionExpiryInterval = 600
                kwargs["properties"] = properties
        self.client.connect("127.0.0.1", self.port, keepalive=30, **kwargs)
        self.client.loop_start()
        test.addCleanup(self.stop)
        await self.connected
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def subscribe(self, topic: str, qos: int = 0) -> "Deferred[None]":
        """Fires when the broker has acknowledged: messages published after it arrive."""
        self._subscriptions.append((topic, qos))
        _, mid = self.client.subscribe(topic, qos)
        acknowledged: Deferred[None] = Deferred()
        self._subscribing[mid] = acknowledged
        return acknowledged.addTimeout(WAIT, reactor)

    def _subscribed(self, mid: int) -> None:
        waiting = self._subscribing.pop(mid, None)
        if waiting is not None and not waiting.called:
            waiting.callback(None)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos, retain)

    def _received(self, message: Any) -> None:
        self._waiters = [waiter for waiter in self._waiters if not waiter[1].called]
        for waiter in self._waiters:
            if _matches(waiter[0], message.topic):
                self._waiters.remove(waiter)
                waiter[1].callback(message)
                return
        self.messages.append(message)

    def next_message(self, topic: str, timeout: float = WAIT) -> "Deferred[Any]":
        """The next message on ``topic`` (a filter), or one already received and not yet taken."""
        for index, message in enumerate(self.messages):
            if _matches(topic, message.topic):
                # By position: paho's messages compare equal by packet id (0 for every QoS 0 one).
                del self.messages[index]
                return succeed(message)
        waiting: Deferred[Any] = Deferred()
        self._waiters.append((topic, waiting))
        return waiting.addTimeout(timeout, reactor)


def _matches(pattern: str, topic: str) -> bool:
    pattern_parts, topic_parts = pattern.split("/"), topic.split("/")
    for index, part in enumerate(pattern_parts):
        if part == "#":
            return True
        if index >= len(topic_parts) or (part != "+" and part != topic_parts[index]):
            return False
    return len(pattern_parts) == len(topic_parts)


def write_tls_files(folder: Path, server_name: str = "localhost") -> TLSFiles:
    """A CA, a server certificate for ``server_name`` and a client certificate, all generated."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test MQTT CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def leaf(name: str, usage: Any, dns: bool) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if dns:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        certificate = builder.sign(ca_key, hashes.SHA256())
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem

    folder.mkdir(parents=True, exist_ok=True)
    files = TLSFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                     folder / "client.pem", folder / "client.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_cert, server_key = leaf(server_name, ExtendedKeyUsageOID.SERVER_AUTH, True)
    client_cert, client_key = leaf("printer", ExtendedKeyUsageOID.CLIENT_AUTH, False)
    files.server_cert.write_bytes(server_cert)
    files.server_key.write_bytes(server_key)
    files.client_cert.write_bytes(client_cert)
    files.client_key.write_bytes(client_key)
    return files
