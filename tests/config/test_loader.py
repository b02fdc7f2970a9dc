from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import ConfigError, load_config

from tests.config.files import folder, write

NO_COMPONENT = "[{0}]: moontwist has no {0} component"
UNPARSED_OPTION = (
    "Unparsed config option '{}' detected in section [{}].  This may be an option no longer available or "
    "could be the result of a module that failed to load.  In the future this will result in a startup error."
)


class MissingFileTests(SynchronousTestCase):
    def test_missing_main_file_gives_an_empty_config_and_a_warning(self) -> None:
        data = folder(self)
        config = load_config(data / "config" / "moonraker.conf", data)
        self.assertEqual(
            config.warnings,
            [f"Configuration file '{data / 'config' / 'moonraker.conf'}' not found; running with default settings"],
        )
        self.assertEqual(config.sections(), [])
        self.assertEqual(config.section("server").get_int("port", 7125), 7125)
        self.assertEqual(config.unread_warnings(), [])

    def test_file_without_server_section_is_an_error(self) -> None:
        data = folder(self)
        path = write(data, "moonraker.conf", "[machine]\n")
        with self.assertRaises(ConfigError) as caught:
            load_config(path, data)
        self.assertEqual(str(caught.exception), f"No section [server] in config file {path}")


class SectionQueryTests(SynchronousTestCase):
    def setUp(self) -> None:
        data = folder(self)
        text = "[server]\n[power printer]\ntype: gpio\n[power light]\ntype: rf\n[powerful]\n"
        self.config = load_config(write(data, "moonraker.conf", text), data)

    def test_sections_in_file_order(self) -> None:
        self.assertEqual(self.config.sections(), ["server", "power printer", "power light", "powerful"])

    def test_sections_with_prefix(self) -> None:
        self.assertEqual(self.config.sections_with_prefix("power "), ["power printer", "power light"])

    def test_has_section_only_for_sections_in_the_file(self) -> None:
        self.assertTrue(self.config.has_section("power light"))
        self.assertFalse(self.config.has_section("history"))
        self.config.section("history")
        self.assertFalse(self.config.has_section("history"))

    def test_main_file_is_absolute(self) -> None:
        self.assertTrue(self.config.main_file.is_absolute())
        self.assertEqual(self.config.main_file.name, "moonraker.conf")


class UnreadWarningTests(SynchronousTestCase):
    def setUp(self) -> None:
        data = folder(self)
        text = "[server]\nport: 7125\nenabled: True\n[authorization]\nenabled: True\n[octoprint_compat]\n"
        self.config = load_config(write(data, "moonraker.conf", text), data)

    def test_unread_options_and_unopened_sections_are_reported(self) -> None:
        self.config.section("server").get_int("port", 7125)
        self.config.section("authorization")
        self.assertEqual(
            self.config.unread_warnings(),
            [
                UNPARSED_OPTION.format("enabled: True", "server"),
                UNPARSED_OPTION.format("enabled: True", "authorization"),
                NO_COMPONENT.format("octoprint_compat"),
            ],
        )

    def test_sections_of_a_component_we_lack_give_one_warning_naming_it(self) -> None:
        data = folder(self)
        text = "[server]\n[timelapse]\noutput_path: ~/tl\n[update_manager]\n[update_manager mainsail]\ntype: web\n"
        config = load_config(write(data, "moonraker.conf", text), data)
        config.section("server")
        self.assertEqual(
            config.unread_warnings(),
            [NO_COMPONENT.format("timelapse"), NO_COMPONENT.format("update_manager")],
        )

    def test_section_that_failed_to_read_reports_no_unread_options(self) -> None:
        self.config.section("octoprint_compat")
        authorization = self.config.section("authorization")
        with self.assertRaises(ConfigError):
            authorization.get_int("enabled")
        self.assertEqual(
            self.config.unread_warnings(),
            [UNPARSED_OPTION.format("port: 7125", "server"), UNPARSED_OPTION.format("enabled: True", "server")],
        )


class ServerConfigTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.data = folder(self)
        write(self.data, "config/extra/webcam.cfg", "[webcam cam]\nstream_url: /webcam/?action=stream  # mjpg\n")
        write(self.data, "outside.cfg", "[spoolman]\nserver: http://s:7912\n")
        text = f"""\
            [server]
            port: 7125
            [include extra/*.cfg]
            [include {self.data}/outside.cfg]
            [authorization]
            trusted_clients:
              10.0.0.0/8
            """
        self.config = load_config(write(self.data, "config/moonraker.conf", text), self.data)

    def test_config_shows_values_read_and_defaults_of_absent_options(self) -> None:
        self.config.section("server").get_int("port", 7125)
        self.config.section("server").get_str("host", "0.0.0.0")
        self.config.section("authorization").get_list("trusted_clients", [])
        self.config.section("authorization").get_int("max_login_attempts", None)
        self.config.section("history")
        self.assertEqual(
            self.config.server_config()["config"],
            {
                "server": {"port": 7125, "host": "0.0.0.0"},
                "secrets": {"secrets_path": None},
                "authorization": {"trusted_clients": ["10.0.0.0/8"], "max_login_attempts": None},
                "history": {},
            },
        )

    def test_orig_is_every_section_as_written_after_an_empty_default(self) -> None:
        orig = self.config.server_config()["orig"]
        self.assertEqual(
            orig,
            {
                "DEFAULT": {},
                "server": {"port": "7125"},
                "webcam cam": {"stream_url": "/webcam/?action=stream"},
                "spoolman": {"server": "http://s:7912"},
                "authorization": {"trusted_clients": "\n10.0.0.0/8"},
            },
        )
        self.assertEqual(list(orig)[0], "DEFAULT")

    def test_files_are_relative_to_the_main_folder_in_parse_order(self) -> None:
        self.assertEqual(
            self.config.server_config()["files"],
            [
                {"filename": "moonraker.conf", "sections": ["server", "authorization"]},
                {"filename": "extra/webcam.cfg", "sections": ["webcam cam"]},
                {"filename": str(self.data / "outside.cfg"), "sections": ["spoolman"]},
            ],
        )

    def test_server_config_is_a_copy(self) -> None:
        self.config.server_config()["config"]["server"] = {"changed": True}
        self.assertEqual(self.config.server_config()["config"]["server"], {})


class SecretsLoadingTests(SynchronousTestCase):
    def test_ini_secrets_file_in_the_data_folder_feeds_templates(self) -> None:
        data = folder(self)
        write(data, "moonraker.secrets", "[mqtt]\npassword: from-ini\n")
        text = "[server]\n[mqtt]\npassword: {secrets.mqtt.password}\n"
        config = load_config(write(data, "moonraker.conf", text), data)
        self.assertEqual(config.section("mqtt").get_template("password"), "from-ini")

    def test_deprecated_secrets_path_is_used_and_warned_about(self) -> None:
        data = folder(self)
        legacy = write(data, "old.secrets", '{"a": {"b": "legacy"}}')
        text = f"[server]\n[secrets]\nsecrets_path: {legacy}\n[x]\nv: {{secrets.a.b}}\n"
        config = load_config(write(data, "moonraker.conf", text), data)
        self.assertEqual(config.section("x").get_template("v"), "legacy")
        self.assertEqual(
            config.unread_warnings(),
            [
                "[secrets]: Option 'secrets_path' is deprecated, see the configuration documentation at "
                "https://moonraker.readthedocs.io/en/latest/configuration/"
            ],
        )
