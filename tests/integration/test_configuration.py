"""Real Moonraker configs load as Moonraker loads them; server.config shows what Moonraker shows."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from twisted.trial.unittest import TestCase

from moontwist.services.catalog import TABLES
from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.services.power import fake_gpiod
from tests.services.power.fake_gpiod import SimulatedChip

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MOONRAKER_CONFIG = json.loads((FIXTURES / "moonraker-0.11.0" / "server_config.json").read_text())["result"]
NO_COMPONENT = re.compile(r"\[(\S+)\]: moontwist has no \1 component")

# Values that differ on purpose (each one documented in docs/configuration.md).
DIFFERENT_ON_PURPOSE = {
    ("server", "host"), ("server", "port"),  # the test's own listening address
    ("server", "klippy_uds_address"),  # a path of the data folder each run
    ("authorization", "max_login_attempts"),  # ours is limited by default
}


def mainsail_os_config() -> str:
    """MainsailOS's moonraker.conf listening on a free loopback port."""
    text = (FIXTURES / "mainsailos-moonraker.conf").read_text()
    return text.replace("host: 0.0.0.0", "host: 127.0.0.1").replace("port: 7125", "port: 0")


async def get_result(test: TestCase, url: str) -> dict:
    response = await http_client(test).get(url)
    test.assertEqual(response.code, 200)
    return (await response.json())["result"]


class MoonrakerConfigTests(TestCase):
    timeout = 30

    async def test_mainsail_os_config_loads_without_an_unparsed_warning(self) -> None:
        daemon = await start_daemon(self, mainsail_os_config())
        info = await get_result(self, daemon.http_url + "/server/info?raw=true")
        served = set(info["components"])
        for warning in info["warnings"]:
            match = NO_COMPONENT.fullmatch(warning)
            self.assertIsNotNone(match, f"unexpected warning: {warning}")
            self.assertNotIn(match[1], served)
        self.assertIn("update_manager", served)

    async def test_moonraker_options_of_served_sections_are_accepted_silently(self) -> None:
        server = "max_upload_size: 1024\nenable_debug_logging: False\nuse_xheaders: True\n"
        file_manager = (
            "enable_object_processing: False\nenable_observer_warnings: True\n"
            "check_klipper_config_path: False\ndefault_metadata_parser_timeout: 30\n"
            "enable_config_write_access: True\nfile_system_observer: inotify\nqueue_gcode_uploads: False\n"
        )
        sections = (
            "\n[machine]\nprovider: none\nvalidate_service: False\nvalidate_config: False\n"
            "force_validation: False\nshutdown_action: poweroff\n"
            "[data_store]\ntemperature_store_size: 600\ngcode_store_size: 500\n"
            "[job_queue]\nload_on_startup: False\nautomatic_transition: False\n"
            "job_transition_delay: 0.5\njob_transition_gcode: M117 next\n"
            "[database]\n[secrets]\n"
        )
        config = (
            mainsail_os_config()
            .replace("max_upload_size: 1024\n", server, 1)
            .replace("enable_object_processing: False\n", file_manager, 1)
        ) + sections
        daemon = await start_daemon(self, config)
        info = await get_result(self, daemon.http_url + "/server/info?raw=true")
        self.assertEqual([w for w in info["warnings"] if "Unparsed" in w], [])

    async def test_server_config_shows_every_option_moonraker_shows_with_its_default(self) -> None:
        daemon = await start_daemon(self, mainsail_os_config())
        ours = (await get_result(self, daemon.http_url + "/server/config"))["config"]
        compared = 0
        for section, options in MOONRAKER_CONFIG["config"].items():
            if section not in ours:
                continue
            for option, value in options.items():
                self.assertIn(option, ours[section], f"[{section}] {option} missing from server.config")
                if (section, option) not in DIFFERENT_ON_PURPOSE:
                    self.assertEqual(ours[section][option], value, f"[{section}] {option}")
                compared += 1
        self.assertGreater(compared, 40)
        self.assertEqual(
            set(MOONRAKER_CONFIG["config"]) - set(ours),
            {"template", "dbus_manager", "klippy_apis", "shell_command", "http_client", "announcements",
             "webcam", "extensions"} - set(ours),
        )

    async def test_orig_starts_with_default_and_files_name_the_main_file(self) -> None:
        daemon = await start_daemon(self, mainsail_os_config())
        result = await get_result(self, daemon.http_url + "/server/config")
        self.assertEqual(list(result["orig"])[:2], ["DEFAULT", "server"])
        self.assertEqual(result["orig"]["DEFAULT"], {})
        self.assertEqual(result["orig"]["update_manager sonar"]["primary_branch"], "main")
        self.assertEqual(result["files"][0]["filename"], "moonraker.conf")
        self.assertIn("update_manager crowsnest", result["files"][0]["sections"])


# What a section needs to load in the coverage test, by table title (a table with
# a ``variant`` is written with ``type: <variant>``, after its common table's needs).
REQUIRED = {
    "[spoolman]": "server: http://127.0.0.1:9\n",
    "[announcements]": "enable_moonlight: False\n",
    "[webcam NAME]": "stream_url: /webcam/?action=stream\n",
    "[notifier NAME]": "url: json://127.0.0.1:9/\nevents: *\n",
    "[button NAME]": "pin: gpio1\non_press: {% do log_debug('pressed') %}\n",
    "[power NAME] with `type: gpio`": "pin: gpio2\n",
    "[power NAME] with `type: rf`": "pin: gpio3\non_code: 1\noff_code: 0\n",
    "[power NAME] with `type: klipper_device`": "object_name: output_pin fan\n",
    "[power NAME] with `type: homeseer`": "device: 1\n",
    "[power NAME] with `type: homeassistant`": "device: switch.printer\ntoken: t\n",
    "[power NAME] with `type: smartthings`": "token: t\n",
    "[power NAME] with `type: hue`": "device_id: 1\n",
    "[power NAME] with `type: http`": ("on_url: http://127.0.0.1:9/on\noff_url: http://127.0.0.1:9/off\n"
                                      "status_url: http://127.0.0.1:9/state\nresponse_template: off\n"),
    "[power NAME] with `type: uhubctl`": "location: 1-1\n",
    "[power NAME] with `type: mqtt`": "command_topic: a/set\ncommand_payload: {command}\nstate_topic: a/state\n",
    "[wled NAME] with `type: serial`": "serial: /dev/null\n",
    "[sensor NAME] with `type: mqtt`": "state_topic: a/meter\nstate_response_template: {set_result('a', 1)}\n",
    "[update_manager]": "enable_system_updates: False\ngithub_api_url: http://127.0.0.1:9\n",
    "[update_manager NAME] with `type: git_repo`": "path: /nonexistent/repo\norigin: http://127.0.0.1:9/a.git\n",
    "[update_manager NAME] with `type: python`": "virtualenv: /nonexistent/venv\nindex_url: http://127.0.0.1:9\n",
    **{f"[update_manager NAME] with `type: {kind}`": "path: /nonexistent/client\nrepo: a/b\n"
       for kind in ("web", "web_beta", "zip", "zip_beta")},
}
# Every section naming a host needs one; a closed port is enough.
ADDRESS = "address: 127.0.0.1\nport: 9\n"


def coverage_sections() -> dict[str, tuple[str, set[str]]]:
    """Section name -> (its text, the options it must show): every table, each type of a named one."""
    common = {table.section: table for table in TABLES if table.named and not table.variant}
    sections: dict[str, tuple[str, set[str]]] = {}
    for table in TABLES:
        if table.section in ("server", "authorization"):
            continue
        has_variants = any(other.section == table.section and other.variant for other in TABLES)
        if has_variants and table.named and not table.variant:
            continue  # shown with each of its types
        declared = {option.name for option in table.options}
        body = (ADDRESS if "address" in declared else "") + REQUIRED.get(table.title, "")
        name = table.section
        if table.named:
            name = f"{table.section} {table.variant or 'coverage'}"
        if table.variant:
            declared |= {option.name for option in common[table.section].options}
            body = f"type: {table.variant}\n" + REQUIRED.get(common[table.section].title, "") + body
        sections[name] = (f"\n[{name}]\n{body}", declared)
    return sections


class DeclarationCoverageTests(TestCase):
    timeout = 30

    async def test_every_option_read_is_declared_and_every_declared_option_is_read(self) -> None:
        fake_gpiod.install(self, {"/dev/gpiochip0": SimulatedChip()})
        sections = coverage_sections()
        daemon = await start_daemon(self, BASE_CONFIG + "".join(text for text, _ in sections.values()))
        parsed = (await get_result(self, daemon.http_url + "/server/config"))["config"]
        warnings = (await get_result(self, daemon.http_url + "/server/info?raw=true"))["warnings"]
        self.assertEqual([warning for warning in warnings if "Unparsed" in warning], [])
        for table in TABLES:
            if table.section in ("server", "authorization"):
                self.assertEqual(set(parsed[table.section]), {option.name for option in table.options})
        for name, (_, declared) in sections.items():
            self.assertEqual(set(parsed[name]), declared,
                             f"[{name}]: read options and declared options differ; declare what "
                             f"the component reads in its SectionOptions table, then run scripts/config-docs")

    async def test_named_sections_show_moonrakers_defaults(self) -> None:
        fake_gpiod.install(self, {"/dev/gpiochip0": SimulatedChip()})
        daemon = await start_daemon(self, BASE_CONFIG + "".join(text for text, _ in coverage_sections().values()))
        parsed = (await get_result(self, daemon.http_url + "/server/config"))["config"]
        self.assertEqual((parsed["mqtt"]["instance_name"], parsed["mqtt"]["api_qos"]), (socket.gethostname(), 0))
        self.assertEqual(parsed["webcam coverage"]["service"], "mjpegstreamer")
        self.assertEqual(parsed["notifier coverage"]["events"], ["*"])
        self.assertEqual((parsed["power tasmota"]["user"], parsed["power tasmota"]["output_id"]), ("admin", 1))
        self.assertEqual(parsed["power loxonev1"]["password"], "admin")
        self.assertEqual(parsed["power smartthings"]["protocol"], "https")
        self.assertEqual(parsed["power homeassistant"]["domain"], "switch")
        self.assertEqual(parsed["power tplink_smartplug"]["timer"], "")
        self.assertEqual((parsed["wled http"]["type"], parsed["wled serial"]["baud"]), ("http", 115200))
        self.assertIsNone(parsed["power gpio"]["initial_state"])
        self.assertEqual((parsed["sensor mqtt"]["name"], parsed["sensor mqtt"]["sensor_store_size"]), ("mqtt", 1200))
        self.assertEqual(parsed["power mqtt"]["state_response_template"], "{payload}")
