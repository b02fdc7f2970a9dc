from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import Config, ConfigError, Section, load_config

from tests.config.files import folder, write

CONFIG = """\
[server]
port: 7125
ratio: 0.5
flag: On
word: abc
list:
  a

  b
commas: x, y,,z
objects:
  toolhead=position,velocity
  webhooks
klippy_uds_address: {data_path}/comms/klippy.sock
home: ~/printer
[mqtt]
password: {secrets.mqtt.password}
plain: {secrets.mqtt.password}
[machine]
shutdown_action: HALT
"""


class SectionTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.data = folder(self)
        write(self.data, "moonraker.secrets", '{"mqtt": {"password": "hunter2"}}')
        self.config: Config = load_config(write(self.data, "config/moonraker.conf", CONFIG), self.data)
        self.server: Section = self.config.section("server")

    def error(self, read: Callable[..., object], *args: Any, **kwargs: Any) -> str:
        with self.assertRaises(ConfigError) as caught:
            read(*args, **kwargs)
        return str(caught.exception)


class ScalarGetterTests(SectionTestCase):
    def test_str_int_float_bool_parse_the_text(self) -> None:
        self.assertEqual(self.server.get_str("word"), "abc")
        self.assertEqual(self.server.get_int("port"), 7125)
        self.assertEqual(self.server.get_float("ratio"), 0.5)
        self.assertIs(self.server.get_bool("flag"), True)

    def test_absent_option_returns_the_default(self) -> None:
        self.assertEqual(self.server.get_int("missing", 3), 3)
        self.assertIsNone(self.server.get_str("also_missing", None))

    def test_option_name_is_case_insensitive(self) -> None:
        self.assertEqual(self.server.get_int("PORT"), 7125)

    def test_missing_required_option_uses_configparsers_text(self) -> None:
        self.assertEqual(self.error(self.server.get_str, "nothing"), "No option 'nothing' in section: 'server'")

    def test_required_option_of_absent_section_names_the_section(self) -> None:
        self.assertEqual(self.error(self.config.section("ldap").get_str, "ldap_host"), "No section: 'ldap'")

    def test_wrong_type_names_section_option_and_cause(self) -> None:
        self.assertEqual(
            self.error(self.server.get_int, "word"),
            "[server]: Option 'word' encountered the following error while parsing: "
            "invalid literal for int() with base 10: 'abc'",
        )
        self.assertEqual(
            self.error(self.server.get_float, "word"),
            "[server]: Option 'word' encountered the following error while parsing: "
            "could not convert string to float: 'abc'",
        )
        self.assertEqual(
            self.error(self.server.get_bool, "word"),
            "[server]: Option 'word' encountered the following error while parsing: Not a boolean: abc",
        )


class BoundsTests(SectionTestCase):
    def test_values_inside_the_bounds_pass(self) -> None:
        self.assertEqual(self.server.get_int("port", minval=1, maxval=65535, above=0, below=65536), 7125)

    def test_each_bound_has_its_own_message(self) -> None:
        prefix = "Config Error: Section [server], Option 'port: 7125': value is"
        cases = [
            ({"minval": 8000}, "below minimum value 8000"),
            ({"maxval": 7000}, "above maximum value 7000"),
            ({"above": 7125}, "not above 7125"),
            ({"below": 7125}, "not below 7125"),
        ]
        for bound, text in cases:
            self.assertEqual(self.error(self.server.get_int, "port", **bound), f"{prefix} {text}")

    def test_float_bounds(self) -> None:
        self.assertEqual(
            self.error(self.server.get_float, "ratio", above=0.5),
            "Config Error: Section [server], Option 'ratio: 0.5': value is not above 0.5",
        )

    def test_defaults_are_not_bounds_checked(self) -> None:
        self.assertEqual(self.server.get_int("absent", 0, minval=1), 0)


class ChoiceTests(SectionTestCase):
    def test_choice_may_be_lower_cased_first(self) -> None:
        machine = self.config.section("machine")
        self.assertEqual(machine.get_choice("shutdown_action", ["halt", "poweroff"], force_lowercase=True), "halt")

    def test_invalid_choice_lists_the_choices(self) -> None:
        machine = self.config.section("machine")
        self.assertEqual(
            self.error(machine.get_choice, "shutdown_action", ["halt", "poweroff"]),
            "Section [machine], Option 'shutdown_action: Value HALT is not a vailid choice.  "
            "Must be one of the following ['halt', 'poweroff']",
        )


class CollectionGetterTests(SectionTestCase):
    def test_list_drops_blank_items(self) -> None:
        self.assertEqual(self.server.get_list("list"), ["a", "b"])

    def test_list_with_other_separator(self) -> None:
        self.assertEqual(self.server.get_list("commas", separator=","), ["x", "y", "z"])

    def test_dict_reads_key_equals_value_lines(self) -> None:
        self.assertEqual(
            self.server.get_dict("objects", allow_empty_fields=True),
            {"toolhead": "position,velocity", "webhooks": None},
        )

    def test_dict_line_without_equals_is_an_error_by_default(self) -> None:
        self.assertEqual(
            self.error(self.server.get_dict, "objects"),
            "[server]: Option 'objects' encountered the following error while parsing: "
            "Failed to parse dictionary field, webhooks",
        )


class TemplateGetterTests(SectionTestCase):
    def test_template_renders_secrets_but_server_config_shows_the_source(self) -> None:
        self.assertEqual(self.config.section("mqtt").get_template("password"), "hunter2")
        self.assertEqual(
            self.config.server_config()["config"]["mqtt"], {"password": "{secrets.mqtt.password}"}
        )

    def test_plain_option_is_never_rendered(self) -> None:
        self.assertEqual(self.config.section("mqtt").get_str("plain"), "{secrets.mqtt.password}")

    def test_path_renders_data_path_and_resolves(self) -> None:
        address = self.server.get_path("klippy_uds_address")
        self.assertEqual(address, (self.data / "comms" / "klippy.sock").resolve())
        self.assertEqual(
            self.config.server_config()["config"]["server"]["klippy_uds_address"], "{data_path}/comms/klippy.sock"
        )

    def test_path_expands_home(self) -> None:
        self.assertEqual(self.server.get_path("home"), (Path.home() / "printer").resolve())

    def test_path_default_is_returned_unchanged_and_shown_as_text(self) -> None:
        self.assertEqual(self.server.get_path("socket", Path("/tmp/klippy_uds")), Path("/tmp/klippy_uds"))
        self.assertEqual(self.config.server_config()["config"]["server"]["socket"], "/tmp/klippy_uds")

    def test_template_error_names_section_and_option(self) -> None:
        write(self.data, "config/moonraker.conf", "[server]\n[mqtt]\npassword: {secrets.nope.password}\n")
        config = load_config(self.data / "config" / "moonraker.conf", self.data)
        self.assertEqual(
            self.error(config.section("mqtt").get_template, "password"),
            "[mqtt]: Option 'password' encountered the following error while parsing: "
            "Error rendering Jinja2 template: 'dict object' has no attribute 'nope'",
        )

    def test_jinja_template_syntax_error_names_section_and_option(self) -> None:
        write(self.data, "config/moonraker.conf", "[server]\n[notifier x]\nbody: {% if %}\n")
        config = load_config(self.data / "config" / "moonraker.conf", self.data)
        message = self.error(config.section("notifier x").get_jinja_template, "body")
        self.assertTrue(message.startswith("[notifier x]: Option 'body' encountered the following error while parsing: "
                                           "Error compiling Jinja2 template:"), message)

    def test_jinja_template_renders_later_with_secrets_and_shows_its_source(self) -> None:
        (self.data / "moonraker.secrets").write_text('{"phone": {"key": "k1"}}')
        write(self.data, "config/moonraker.conf", "[server]\n[notifier x]\nurl: tgram://{secrets.phone.key}/{ name }\n")
        config = load_config(self.data / "config" / "moonraker.conf", self.data)
        template = config.section("notifier x").get_jinja_template("url")
        self.assertEqual(template.render({"name": "printer"}), "tgram://k1/printer")
        self.assertEqual(config.server_config()["config"]["notifier x"]["url"], "tgram://{secrets.phone.key}/{ name }")


class FallbackTests(SynchronousTestCase):
    def setUp(self) -> None:
        data = folder(self)
        text = "[server]\nqueue_gcode_uploads: True\n[authorization]\n"
        self.config = load_config(write(data, "moonraker.conf", text), data)

    def test_absent_core_section_reads_a_moved_option_from_server_with_a_warning(self) -> None:
        self.assertIs(self.config.section("file_manager").get_bool("queue_gcode_uploads", False), True)
        self.assertEqual(self.config.server_config()["config"]["server"], {"queue_gcode_uploads": True})
        self.assertIn(
            "[server]: Option 'queue_gcode_uploads' has been moved to section [file_manager].  Please correct your "
            "configuration, see https://moonraker.readthedocs.io/en/latest/configuration/#option-moved-deprecations"
            " for detailed documentation.",
            self.config.unread_warnings(),
        )

    def test_present_core_section_does_not_fall_back(self) -> None:
        self.assertIs(self.config.section("authorization").get_bool("queue_gcode_uploads", False), False)

    def test_other_sections_do_not_fall_back(self) -> None:
        self.assertIsNone(self.config.section("mqtt").get_str("queue_gcode_uploads", None))


class DeprecationTests(SynchronousTestCase):
    def test_deprecated_option_present_warns_once(self) -> None:
        data = folder(self)
        config = load_config(write(data, "moonraker.conf", "[server]\nenable_debug_logging: True\n"), data)
        server = config.section("server")
        server.get_bool("enable_debug_logging", False, deprecate=True)
        server.get_bool("enable_debug_logging", False, deprecate=True)
        self.assertEqual(
            config.unread_warnings(),
            [
                "[server]: Option 'enable_debug_logging' is deprecated, see the configuration documentation at "
                "https://moonraker.readthedocs.io/en/latest/configuration/"
            ],
        )
