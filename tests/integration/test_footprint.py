"""What a printer's daemon imports at start-up (issue 18).

A heavy library a configuration does not use stays out of memory until used:
pyOpenSSL and cryptography until TLS is (moontwist/deferred_tls.py), pyjwt
until a token is, treq until a snapshot or an HTTP device is asked for
(announcement feeds and the update manager never load it), the MQTT client
without ``[mqtt]``, the simulator without ``--simulate`` (and no TLS with it); sqlite3 until a
Moonraker database is taken over or a backup made, the metadata extractors
until a file is scanned, the feed parser until a feed is fetched, the
peripheral walkers until a device list is asked for.
"""

from __future__ import annotations

import json
import os
import sys

from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from tests.integration.certs import write_self_signed
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.footprint_probe import CERTS_VARIABLE
from tests.integration.process import REPO
from tests.services.announcements.feeds import item, rss, serve_feeds_over_tls

NOT_AT_START_UP = {
    "OpenSSL": "pyOpenSSL (TLS)",
    "cryptography": "cryptography (TLS, JWT)",
    "service_identity": "service_identity (TLS)",
    "jwt": "pyjwt (tokens)",
    "treq": "treq (snapshots, HTTP devices)",
    "twisted.web.client": "Twisted's HTTP client",
    "jinja2": "jinja2",
    "paho": "paho-mqtt",
    "moontwist.simulator": "the Klippy simulator",
    "moontwist.services.mqtt": "the MQTT component",
    "moontwist.protocols.mqtt": "the MQTT client",
    "autobahn.wamp.auth": "Autobahn's WAMP",
    "click": "click (Autobahn's log colours)",
    "werkzeug.serving": "werkzeug's development server",
    "werkzeug.test": "werkzeug's test client",
    "argparse": "argparse (the moontwist command's parser)",
    "configparser": "configparser (a secrets file in INI form)",
    "sqlite3": "sqlite3 (Moonraker's database taken over, database backups)",
    "moontwist.metadata": "G-code metadata extraction (slicer parsers, image codecs)",
    "xml.etree": "the announcement feed parser",
    "moontwist.services.machine.peripherals.canbus": "the CAN bus query",
    "moontwist.services.machine.peripherals.serial": "the serial device walk",
    "moontwist.services.machine.peripherals.usb": "the USB device walk",
    "moontwist.services.machine.peripherals.video": "the video device walk",
}


def loaded(modules: list[str], name: str) -> bool:
    return any(module == name or module.startswith(name + ".") for module in modules)


class StartUpImportsTests(TestCase):
    async def probe(self, certificates: bool = False, tls_check: bool = False, *flags: str) -> dict:
        """Run footprint_probe.py in a fresh interpreter on a data folder with
        loopback ports 0 (and a certificate for HTTPS, or one for the probe's
        own TLS round trip after the daemon stopped); what it printed."""
        folder = short_temp_dir(self)
        data = folder / "printer_data"
        (data / "config").mkdir(parents=True)
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        if certificates:
            write_self_signed(data / "certs")
        if tls_check:
            write_self_signed(folder / "tls_check")
            env[CERTS_VARIABLE] = str(folder / "tls_check")
        out, err, status = await getProcessOutputAndValue(
            sys.executable, ["-m", "tests.integration.footprint_probe", "--datapath", str(data), "--nologfile",
                             *flags],
            env=env, path=str(REPO),
        )
        self.assertEqual(status, 0, err.decode(errors="replace")[-3000:])
        result = dict(json.loads(out.decode().splitlines()[-1]))
        self.assertIsNone(result.get("error"))
        return result

    async def test_minimal_config_starts_and_answers_without_heavy_libraries(self) -> None:
        result = await self.probe()
        [info] = result["server_info"]
        self.assertIn("klippy_state", info)
        present = {name: why for name, why in NOT_AT_START_UP.items() if loaded(result["modules"], name)}
        self.assertEqual(present, {})

    async def test_the_simulator_loads_no_tls_library(self) -> None:
        result = await self.probe(False, False, "--simulate")
        self.assertTrue(loaded(result["modules"], "moontwist.simulator"))
        self.assertEqual([name for name in ("OpenSSL", "cryptography") if loaded(result["modules"], name)], [])

    async def test_werkzeug_names_skipped_at_start_up_load_when_asked_for(self) -> None:
        result = await self.probe()
        self.assertEqual(result["werkzeug_request"], "Request")

    async def test_garbage_collector_paused_for_start_up_runs_once_started(self) -> None:
        result = await self.probe()
        self.assertTrue(result["gc_enabled"])

    async def test_tls_works_once_used_after_a_start_without_it(self) -> None:
        result = await self.probe(tls_check=True)
        self.assertFalse(loaded(result["modules"], "OpenSSL"))
        self.assertEqual(result["tls_echo"], "ping over TLS")

    async def test_certificates_load_tls_at_start_up(self) -> None:
        result = await self.probe(certificates=True)
        self.assertTrue(loaded(result["modules"], "OpenSSL"))
        self.assertFalse(loaded(result["modules"], "jwt"))


# An HTTPS GET as announcement feeds and the update manager make them (moontwist/http_get.py),
# in a fresh interpreter started as the daemon starts (TLS refused while the reactor is
# imported): what it returns and which modules it leaves loaded.
FEED_FETCH = """
import json, sys
from moontwist.deferred_tls import import_without_tls
import_without_tls()
import moontwist.app
from twisted.internet import reactor
from moontwist.http_get import fetch
got = []
fetch(reactor, sys.argv[1], {}, 10.0, 1 << 20).addBoth(got.append).addBoth(lambda _: reactor.stop())
reactor.run()
print(json.dumps({"status": got[0].status, "body": got[0].body.decode(), "modules": sorted(sys.modules)}))
"""


class FeedFetchTests(TestCase):
    async def test_an_https_fetch_loads_no_tls_library(self) -> None:
        feeds, base_url, cert = serve_feeds_over_tls(self, short_temp_dir(self))
        feeds.publish("moonraker", rss("moonraker", item("moonraker/1", "one")))
        env = {**os.environ, "PYTHONPATH": str(REPO), "SSL_CERT_FILE": str(cert)}
        out, err, status = await getProcessOutputAndValue(
            sys.executable, ["-c", FEED_FETCH, f"{base_url}/assets/moonraker.xml"], env=env, path=str(REPO))
        self.assertEqual(status, 0, err.decode(errors="replace")[-3000:])
        result = json.loads(out.decode().splitlines()[-1])
        self.assertEqual(result["status"], 200)
        self.assertIn("moonraker/1", result["body"])
        heavy = [name for name in ("OpenSSL", "cryptography", "service_identity", "treq", "twisted.web.client")
                 if loaded(result["modules"], name)]
        self.assertEqual(heavy, [])
