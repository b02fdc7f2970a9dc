"""A moonraker.conf with a section of every device/integration type moontwist
serves here, with every option Moonraker documents, loads without a warning
about any option or section (the broker is a real Mosquitto). One warning
remains on this machine, about the machine, not the config: no GPIO chip for
the button."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.integration.daemon import BASE_CONFIG, RunningDaemon, short_temp_dir, start_daemon
from tests.integration.mosquitto import start_mosquitto
from tests.integration.process import wait_for
from tests.services.wled.fake_wled import FakeWled


def every_section(wled_port: int, mqtt_port: int) -> str:
    return f"""
[mqtt]
address: 127.0.0.1
port: {mqtt_port}
instance_name: printer1

[power plug]
type: mqtt
command_topic: plug/set
command_payload: {{command}}
retain_command_state: True
query_topic: plug/query
query_payload: state
query_after_command: True
state_topic: plug/state
state_response_template: {{payload|lower}}
state_timeout: 0.5
qos: 1
[notifier phone]
url: json://127.0.0.1:9/notify
events: started, complete, error, cancelled, paused, resumed
body: {{event_name}}: {{event_args[1].filename}}
title: Printer {{event_name}}
attach: http://127.0.0.1/webcam/?action=snapshot
body_format: markdown

[wled lights]
type: http
address: 127.0.0.1
port: {wled_port}
protocol: http
timeout: 2.0
initial_preset: -1
initial_red: 0.2
initial_green: 0.3
initial_blue: 0.4
initial_white: 0.5
chain_count: 10

[sensor meter]
type: mqtt
name: Printer Power
sensor_store_size: 600
state_topic: home/meter/state
state_response_template:
  {{% set data = payload|fromjson %}}
  {{set_result("power", data.power)}}
qos: 1
parameter_power:
  units=W
history_field_energy:
  parameter=power
  desc=Printer power
  strategy=average
  units=W
  init_tracker=false
  exclude_paused=true
  report_total=false
  report_maximum=true
  precision=2

[button estop]
type: gpio
pin: ^!gpiochip0/gpio26
minimum_event_time: 0.1
debounce_period: 0.05
on_press:
  {{% do call_method("printer.emergency_stop") %}}
on_release:
  {{ send_notification("released") }}
"""


async def start_every_section(test: TestCase) -> tuple[RunningDaemon, FakeWled]:
    wled = FakeWled().start()
    test.addCleanup(wled.stop)
    broker = await start_mosquitto(test, short_temp_dir(test))
    daemon = await start_daemon(test, BASE_CONFIG + every_section(wled.port.getHost().port, broker.port))
    # Let start-up finish: the strip is set up, the file manager starts its watcher after a scan.
    await wait_for(lambda: len(wled.received) == 2)
    await daemon.ctx.component("file_manager").ready
    return daemon, wled


class EverySectionTests(TestCase):
    timeout = 60

    async def test_every_option_is_read_and_only_the_machine_is_warned_about(self) -> None:
        daemon, _ = await start_every_section(self)
        self.assertEqual(sorted(daemon.ctx.warnings), [
            "Failed to load button [button estop]\nSection [button estop], Option pin: cannot use line 26 of "
            "/dev/gpiochip0: No such file or directory",
        ])
        for name in ("mqtt", "power", "notifier", "wled", "sensor", "button", "extensions"):
            self.assertIn(name, daemon.ctx.components)
        self.assertEqual(list(daemon.ctx.component("notifier").notifiers), ["phone"])
        self.assertEqual(list(daemon.ctx.component("sensor").sensors), ["meter"])
        self.assertEqual(list(daemon.ctx.component("power").devices), ["plug"])
        self.assertEqual(daemon.ctx.component("wled").strips["lights"].info()["error"], None)

    async def test_a_plain_config_loads_none_of_them(self) -> None:
        daemon = await start_daemon(self)
        for name in ("notifier", "wled", "sensor", "button"):
            self.assertNotIn(name, daemon.ctx.components)


LAZY_IMPORTS = """
import sys, tempfile
from pathlib import Path
from moontwist.app import build
from moontwist.context import Options
data = Path(tempfile.mkdtemp())
(data / "config").mkdir()
(data / "config" / "moonraker.conf").write_text(sys.argv[1])
build(Options(data, data / "config" / "moonraker.conf", None, data / "comms" / "moonraker.sock"))
loaded = [name for name in ("jinja2", "apprise", "gpiod", "moontwist.services.notifier",
          "moontwist.services.wled", "moontwist.services.sensor", "moontwist.services.button") if name in sys.modules]
print(",".join(loaded))
"""


class LazyImportTests(TestCase):
    async def run_build(self, config: str) -> str:
        import sys

        from twisted.internet.utils import getProcessOutputAndValue

        out, err, code = await getProcessOutputAndValue(sys.executable, ["-c", LAZY_IMPORTS, config], env=None, path=".")
        self.assertEqual(code, 0, err)
        return out.decode().strip()

    async def test_a_plain_config_imports_no_optional_component_or_library(self) -> None:
        self.assertEqual(await self.run_build(BASE_CONFIG), "")

    async def test_a_notifier_imports_jinja2_and_apprise_which_checks_its_url_at_build(self) -> None:
        config = BASE_CONFIG + "[notifier a]\nurl: json://x/\nevents: *\nbody: {event_name}\n"
        self.assertEqual(await self.run_build(config), "jinja2,apprise,moontwist.services.notifier")


class ServerConfigTests(TestCase):
    timeout = 60

    async def test_server_config_shows_the_prefixed_sections_only(self) -> None:
        daemon, _ = await start_every_section(self)
        config = daemon.ctx.config.server_config()["config"]
        self.assertIn("notifier phone", config)
        self.assertEqual(config["wled lights"]["chain_count"], 10)
        self.assertEqual(config["power plug"]["state_timeout"], 0.5)
        for bare in ("notifier", "wled", "sensor", "button", "power"):
            self.assertNotIn(bare, config)
