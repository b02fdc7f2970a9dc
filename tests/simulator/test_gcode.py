"""G-code parsing and the small commands, matched to Klippy's exact texts."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.simulator.gcode import is_traditional_gcode, parse_line

from .support import SimulatorTestCase


class ParseLineTests(SynchronousTestCase):
    def test_traditional_command_with_parameters(self) -> None:
        self.assertEqual(parse_line("g1 x10 Y-2.5 f3000"), ("G1", {"G": "1", "X": "10", "Y": "-2.5", "F": "3000"},
                                                            "g1 x10 Y-2.5 f3000"))

    def test_comment_and_line_number_are_dropped(self) -> None:
        command, params, origline = parse_line("N12 G28 X ; home x")
        self.assertEqual((command, params["X"], origline), ("G28", "", "N12 G28 X ; home x"))

    def test_extended_command_word(self) -> None:
        self.assertEqual(parse_line("set_heater_temperature HEATER=bed")[0], "SET_HEATER_TEMPERATURE")

    def test_m117_with_digits_keeps_the_rest_in_the_command(self) -> None:
        self.assertEqual(parse_line("M117 123")[0], "M117 123")

    def test_traditional_versus_extended(self) -> None:
        self.assertTrue(is_traditional_gcode("G1"))
        self.assertTrue(is_traditional_gcode("M117 hi"))
        self.assertFalse(is_traditional_gcode("PAUSE"))
        self.assertFalse(is_traditional_gcode("G"))


class CommandTests(SimulatorTestCase):
    def test_unknown_command_is_not_an_error(self) -> None:
        self.script_ok("FOO\nfoo bar\nG999")
        self.assertEqual(self.client.output(), ['// Unknown command:"FOO"', '// Unknown command:"FOO"',
                                                '// Unknown command:"G999"'])

    def test_empty_lines_and_comments_do_nothing(self) -> None:
        self.script_ok("\n  ; just a comment\n")
        self.assertEqual(self.client.output(), [])

    def test_extended_parameters_allow_quotes_and_reject_malformed_ones(self) -> None:
        self.script_ok('SET_DISPLAY_TEXT MSG="hello world"')
        self.assertEqual(self.query({"display_status": ["message"]})["display_status"]["message"], "hello world")
        self.assertEqual(self.client.error(self.run_script("SET_DISPLAY_TEXT oops")),
                         "Malformed command 'SET_DISPLAY_TEXT oops'")

    def test_missing_and_unparsable_parameters(self) -> None:
        self.assertEqual(self.client.error(self.run_script("SET_GCODE_VARIABLE MACRO=BEEP VALUE=1")),
                         "Error on 'SET_GCODE_VARIABLE MACRO=BEEP VALUE=1': missing VARIABLE")
        self.assertEqual(self.client.error(self.run_script("G4 P-5")), "Error on 'G4 P-5': P must have minimum of 0.0")
        self.assertEqual(self.client.error(self.run_script("M106 S1.2.3")), "Error on 'M106 S1.2.3': unable to parse 1.2.3")

    def test_m117_sets_and_clears_the_display_message(self) -> None:
        self.script_ok("M117 Printing 50% done")
        self.assertEqual(self.query({"display_status": ["message"]})["display_status"]["message"], "Printing 50% done")
        self.script_ok("M117")
        self.assertIsNone(self.query({"display_status": ["message"]})["display_status"]["message"])

    def test_m118_and_respond_echo_to_the_console(self) -> None:
        self.script_ok("M118 42 is the answer\nRESPOND TYPE=error MSG=oops\nRESPOND PREFIX=tip: MSG=hi")
        self.assertEqual(self.client.output(), ["echo: 42 is the answer", "!! oops", "tip: hi"])

    def test_status_help_echo_and_m115(self) -> None:
        self.script_ok("STATUS\nECHO MSG=hello\nM115")
        self.assertEqual(self.client.output(), ["// Klipper state: Ready", "// ECHO MSG=hello",
                                                "// FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.13.0-sim"])
        self.script_ok("HELP")
        help_lines = self.client.output()[0].split("\n")
        self.assertEqual(help_lines[0], "// Available extended commands:")
        self.assertIn("// PAUSE     : Pause the print and lift the nozzle off it", help_lines)
        self.assertIn("// PAUSE_BASE: Renamed builtin of 'PAUSE'", help_lines)

    def test_m73_progress_overrides_sdcard_progress_for_a_while(self) -> None:
        self.script_ok("M73 P42")
        self.assertEqual(self.query({"display_status": ["progress"]})["display_status"]["progress"], 0.42)
        self.advance(6.0)
        self.assertEqual(self.query({"display_status": ["progress"]})["display_status"]["progress"], 0.0)

    def test_gcode_macro_variables_are_its_status_and_can_be_set(self) -> None:
        self.assertEqual(self.query({"gcode_macro BEEP": None})["gcode_macro BEEP"], {"frequency": 300, "duration": 1.0})
        self.script_ok("SET_GCODE_VARIABLE MACRO=BEEP VARIABLE=frequency VALUE=440")
        self.assertEqual(self.query({"gcode_macro BEEP": ["frequency"]})["gcode_macro BEEP"], {"frequency": 440})
        self.assertEqual(self.client.error(self.run_script("SET_GCODE_VARIABLE MACRO=BEEP VARIABLE=nope VALUE=1")),
                         "Unknown gcode_macro variable 'nope'")

    def test_macro_runs_its_gcode(self) -> None:
        request_id = self.run_script("START_PRINT")
        self.advance(400.0, step=1.0)
        self.assertEqual(self.client.result(request_id), {})
        status = self.query({"toolhead": ["homed_axes", "position"], "heater_bed": ["target"], "extruder": ["target"]})
        self.assertEqual(status["toolhead"], {"homed_axes": "xyz", "position": [0.0, 0.0, 5.0, 0.0]})
        self.assertEqual((status["heater_bed"]["target"], status["extruder"]["target"]), (60.0, 210.0))

    def test_set_velocity_limit_reports_and_changes_the_limits(self) -> None:
        self.script_ok("SET_VELOCITY_LIMIT VELOCITY=200\nSET_VELOCITY_LIMIT")
        self.assertEqual(self.client.output(), [
            "// max_velocity: 200.000000\n// max_accel: 3000.000000\n// minimum_cruise_ratio: 0.500000\n"
            "// square_corner_velocity: 5.000000"
        ])
        self.assertEqual(self.query({"toolhead": ["max_velocity"]})["toolhead"]["max_velocity"], 200.0)

    def test_sd_write_commands_are_refused(self) -> None:
        self.assertEqual(self.client.error(self.run_script("M28 file.gcode")), "SD write not supported")
