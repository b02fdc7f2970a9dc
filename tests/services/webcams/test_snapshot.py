"""``server.webcams.test``'s URL rules, and a snapshot fetched from a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

from twisted.internet import reactor
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import Data

from moontwist.services.machine.host import HostPaths
from moontwist.services.webcams.camera import Webcam
from moontwist.services.webcams.snapshot import (
    DEFAULT_HOST, SnapshotProbe, absolute, detect_default_host, wildcard_ports)
from tests.services.machine.helpers import write_tree

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
TCP = HEADER + (
    "   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
    "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2\n"
    "   2: 00000000:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3\n"
)
TCP6 = HEADER + (
    "   0: 00000000000000000000000000000000:22B8 00000000000000000000000000000000:0000 0A 0 0 0 0 0 1\n"
)


class UrlTests(TestCase):
    def setUp(self) -> None:
        root = write_tree(Path(self.mktemp()), {"proc/net/tcp": TCP, "proc/net/tcp6": TCP6})
        self.paths = HostPaths(root)
        self.probe = SnapshotProbe(reactor, lambda: ["192.168.7.2", "fd00::2"], self.paths)

    def test_a_path_is_taken_on_the_default_host(self) -> None:
        self.assertEqual(absolute("/webcam/?action=stream"), "http://127.0.0.1/webcam/?action=stream")
        self.assertEqual(absolute("webcam/x", "http://[fd00::2]"), "http://[fd00::2]/webcam/x")
        self.assertEqual(absolute("rtsp://cam:554/s"), "rtsp://cam:554/s")
        self.assertRaises(ValueError, absolute, "")

    async def test_a_relative_url_on_this_machines_address_becomes_loopback(self) -> None:
        probe = SnapshotProbe(reactor, lambda: ["192.168.7.2"], self.paths, lambda: "http://192.168.7.2")
        tested = await probe.test(Webcam(name="c", stream_url="/webcam/?action=stream"))
        self.assertEqual(tested["stream_url"], "http://127.0.0.1:80/webcam/?action=stream")

    def test_the_default_host_is_an_address_of_this_machine(self) -> None:
        host = detect_default_host()
        self.assertRegex(host, r"^http://(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\])$")

    def test_only_listening_wildcard_sockets_count(self) -> None:
        self.assertEqual(wildcard_ports(self.paths), {"80": "0.0.0.0", "8888": "[::]"})
        self.assertEqual(wildcard_ports(HostPaths(Path(self.mktemp()))), {})

    async def test_an_own_address_becomes_loopback_with_the_port_spelled_out(self) -> None:
        self.assertEqual(await self.probe.local_url("http://192.168.7.2/webcam/?action=snapshot"),
                         "http://127.0.0.1:80/webcam/?action=snapshot")
        self.assertEqual(await self.probe.local_url("http://[fd00::2]:8888/s"), "http://[::1]:8888/s")

    async def test_other_urls_stay_as_they_are(self) -> None:
        for url in ("http://192.168.7.3/x", "http://192.168.7.2:8080/x", "http://127.0.0.1/x",
                    "ftp://192.168.7.2/x", "http://localhost/x"):
            self.assertEqual(await self.probe.local_url(url), url)


class ReachableTests(TestCase):
    def setUp(self) -> None:
        root = Resource()
        root.putChild(b"snapshot", Data(b"\xff\xd8jpeg", "image/jpeg"))
        self.port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)
        self.base = f"http://127.0.0.1:{self.port.getHost().port}"
        self.probe = SnapshotProbe(reactor, lambda: [], HostPaths(Path(self.mktemp())), lambda: DEFAULT_HOST)

    async def test_a_snapshot_that_answers_is_reachable(self) -> None:
        webcam = Webcam(name="c", stream_url="/webcam/?action=stream", snapshot_url=f"{self.base}/snapshot")
        self.assertEqual(await self.probe.test(webcam), {
            "name": "c", "snapshot_reachable": True, "snapshot_url": f"{self.base}/snapshot",
            "stream_url": "http://127.0.0.1/webcam/?action=stream",
        })

    async def test_a_404_or_no_snapshot_url_is_not_reachable(self) -> None:
        missing = Webcam(name="c", stream_url="/s", snapshot_url=f"{self.base}/missing")
        self.assertFalse((await self.probe.test(missing))["snapshot_reachable"])
        none = await self.probe.test(Webcam(name="c", stream_url="/s"))
        self.assertEqual((none["snapshot_url"], none["snapshot_reachable"]), ("", False))

    async def test_a_closed_port_is_not_reachable(self) -> None:
        port = reactor.listenTCP(0, Site(Resource()), interface="127.0.0.1")
        url = f"http://127.0.0.1:{port.getHost().port}/snapshot"
        await port.stopListening()
        self.assertFalse(await self.probe.reachable(url))
