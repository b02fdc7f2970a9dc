import io
from contextlib import redirect_stderr
from pathlib import Path

from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from moontwist.cli import MoontwistOptions, moonraker_parser, resolve, strip_installer_prefix


def parsed(*argv: str) -> MoontwistOptions:
    options = MoontwistOptions()
    options.parseOptions(list(argv))
    return options


class ResolveTests(SynchronousTestCase):
    def test_defaults_follow_the_data_path(self) -> None:
        options = resolve(parsed("-d", "/srv/pd"), env={})
        self.assertEqual(
            (options.config_file, options.log_file, options.unix_socket),
            (Path("/srv/pd/config/moonraker.conf"), Path("/srv/pd/logs/moonraker.log"),
             Path("/srv/pd/comms/moonraker.sock")),
        )

    def test_home_printer_data_is_the_default_data_path(self) -> None:
        self.assertEqual(resolve(parsed(), env={}).data_path, Path("~/printer_data").expanduser().resolve())

    def test_environment_supplies_defaults(self) -> None:
        env = {
            "MOONRAKER_DATA_PATH": "/env/pd",
            "MOONRAKER_CONFIG_PATH": "/env/m.conf",
            "MOONRAKER_UDS_PATH": "/env/m.sock",
            "MOONRAKER_VERBOSE_LOGGING": "yes",
            "MOONRAKER_ENABLE_DEBUG": "True",
            "MOONRAKER_DISABLE_FILE_LOG": "y",
        }
        options = resolve(parsed(), env=env)
        self.assertEqual(
            (options.data_path, options.config_file, options.unix_socket, options.log_file,
             options.verbose, options.debug),
            (Path("/env/pd"), Path("/env/m.conf"), Path("/env/m.sock"), None, True, True),
        )

    def test_flags_beat_the_environment(self) -> None:
        env = {"MOONRAKER_DATA_PATH": "/env/pd", "MOONRAKER_LOG_PATH": "/env/log"}
        options = resolve(parsed("--datapath", "/flag/pd", "-l", "/flag/m.log", "-c", "/flag/m.conf",
                                 "-u", "/flag/m.sock", "-v", "-g", "--simulate"), env=env)
        self.assertEqual(
            (options.data_path, options.log_file, options.config_file, options.unix_socket,
             options.verbose, options.debug, options.simulate),
            (Path("/flag/pd"), Path("/flag/m.log"), Path("/flag/m.conf"), Path("/flag/m.sock"), True, True, True),
        )

    def test_nologfile_flag_disables_the_file_log(self) -> None:
        self.assertIsNone(resolve(parsed("-n"), env={}).log_file)

    def test_simulate_speed_is_a_positive_factor(self) -> None:
        self.assertEqual(resolve(parsed("--simulate"), env={}).simulate_speed, 1.0)
        self.assertEqual(resolve(parsed("--simulate", "--simulate-speed", "20"), env={}).simulate_speed, 20.0)
        with self.assertRaises(usage.UsageError):
            parsed("--simulate-speed", "0")
        with self.assertRaises(usage.UsageError):
            parsed("--simulate-speed", "fast")

    def test_the_moontwist_command_takes_the_same_simulate_speed(self) -> None:
        parser = moonraker_parser()
        for argv in (["--simulate-speed", "0"], ["--simulate-speed", "fast"]):
            with self.assertRaises(SystemExit), redirect_stderr(io.StringIO()):
                parser.parse_args(argv)
        self.assertEqual(resolve(vars(parser.parse_args(["--simulate"])), env={}).simulate_speed, 1.0)
        command = vars(parser.parse_args(["--simulate", "--simulate-speed", "20"]))
        self.assertEqual(resolve(command, env={}).simulate_speed, 20.0)


class MoonrakerArgsTests(SynchronousTestCase):
    """MOONRAKER_ARGS as the installers write it works with twistd moontwist and the moontwist command."""

    def test_twistd_options_accept_both_installer_forms(self) -> None:
        self.assertEqual(resolve(parsed("-m", "moonraker", "-d", "/srv/pd"), env={}).data_path, Path("/srv/pd"))
        options = MoontwistOptions()
        options.parseOptions(["/home/pi/moonraker/moonraker/moonraker.py", "-d", "/srv/pd"])
        self.assertEqual(resolve(options, env={}).data_path, Path("/srv/pd"))

    def test_twistd_options_refuse_other_arguments(self) -> None:
        from twisted.python.usage import UsageError

        self.assertRaises(UsageError, parsed, "something.py")

    def test_command_line_skips_the_installer_prefix(self) -> None:
        for argv in (["-m", "moonraker", "-d", "/x"], ["/opt/moonraker/moonraker/moonraker.py", "-d", "/x"],
                     ["-d", "/x"]):
            self.assertEqual(strip_installer_prefix(argv), ["-d", "/x"])
        self.assertEqual(strip_installer_prefix(["-m", "other"]), ["-m", "other"])
