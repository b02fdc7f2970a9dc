"""Reading [mqtt]: Moonraker's options and defaults, ours, and the errors for bad values."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import ConfigError, load_config
from moontwist.protocols.mqtt import MQTT_5, MQTT_311
from moontwist.services.mqtt.settings import MQTTSettings, read_settings
from tests.config.files import folder, write


class SettingsTests(SynchronousTestCase):
    def read(self, text: str) -> MQTTSettings:
        where = folder(self)
        path = write(where, "moonraker.conf", "[server]\n[mqtt]\n" + text)
        return read_settings(load_config(path, where).section("mqtt"))

    def test_defaults_are_moonrakers(self) -> None:
        settings = self.read("address: broker\n")
        self.assertEqual((settings.port, settings.version, settings.default_qos, settings.api_qos),
                         (1883, MQTT_311, 0, 0))
        self.assertTrue(settings.enable_moonraker_api)
        self.assertEqual((settings.status_objects, settings.status_interval, settings.publish_split_status),
                         ({}, 0.0, False))

    def test_status_objects_with_and_without_fields(self) -> None:
        settings = self.read("address: b\nstatus_objects:\n  webhooks\n  toolhead=position, print_time\n")
        self.assertEqual(settings.status_objects, {"webhooks": None, "toolhead": ["position", "print_time"]})

    def test_api_qos_defaults_to_default_qos(self) -> None:
        settings = self.read("address: b\ndefault_qos: 2\nmqtt_protocol: v5\n")
        self.assertEqual((settings.api_qos, settings.version), (2, MQTT_5))

    def test_password_file_is_read_and_password_wins(self) -> None:
        where = folder(self)
        write(where, "pw", "fromfile\n")
        self.assertEqual(self.read(f"address: b\npassword_file: {where}/pw\n").password, "fromfile")
        self.assertEqual(self.read(f"address: b\npassword_file: {where}/pw\npassword: inline\n").password, "inline")

    def test_bad_values_are_config_errors(self) -> None:
        cases = {
            "address: b\nmqtt_protocol: v4\n": "Invalid value 'v4' for option 'mqtt_protocol'",
            "address: b\ninstance_name: a/+\n": "cannot contain a wildcard",
            "address: b\ndefault_qos: 3\n": "above maximum value 2",
            "address: b\nstatus_interval: 0.1\n": "not above 0.25",
            "address: b\npassword_file: /nonexistent/pw\n": "does not exist",
            "port: 1883\n": "No option 'address'",
            "address: b\ntls_client_key: /k\n": "needs 'tls_client_cert'",
        }
        for text, words in cases.items():
            with self.assertRaises(ConfigError) as caught:
                self.read(text)
            self.assertIn(words, str(caught.exception))
