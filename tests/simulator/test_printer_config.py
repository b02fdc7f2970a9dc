"""The simulator on the user's printer.cfg: objects, settings, help and macros
follow what the file says (three printers: cartesian with probe and bed mesh,
CoreXY with included macro files, a minimal one)."""

from __future__ import annotations

import os
from typing import Any

from moontwist.simulator import SimulatedPrinter, modules
from moontwist.simulator.examples import KLIPPER_PATH
from moontwist.simulator.printer import RESTART_DOWNTIME
from moontwist.simulator.saveconfig import AUTOSAVE_HEADER

from .configs import install
from .support import ORIGIN, SimulatorTestCase

# Klippy's order (checked against Klippy v0.13 with bench/klippy-compare): the early objects,
# each section's module after those it loads, then the toolhead's and the default modules.
ALWAYS_FIRST = ["gcode", "webhooks", "configfile", "mcu"]
TOOLHEAD = ["query_endstops", "stepper_enable", "motion_report", "toolhead"]


class ConfigTestCase(SimulatorTestCase):
    config_name = "cartesian-probe.cfg"

    def write_config(self) -> None:
        install(self.config_name, os.path.dirname(self.config_path), self.gcodes)

    def objects(self) -> list[str]:
        return list(self.client.result(self.client.request("objects/list"))["objects"])

    def configfile(self) -> dict[str, Any]:
        return dict(self.query({"configfile": None})["configfile"])

    def help(self) -> dict[str, str]:
        return dict(self.client.result(self.client.request("gcode/help")))

    def wait(self, request_id: int, seconds: float = 60.0) -> Any:
        self.advance(seconds)
        return self.client.result(request_id)


class CartesianProbeTests(ConfigTestCase):
    def test_objects_are_the_files_sections_in_klippys_order(self) -> None:
        self.assertEqual(self.objects(), ALWAYS_FIRST + [
            "heaters", "heater_bed", "probe", "gcode_move", "bed_mesh", "output_pin caselight", "print_stats",
            "virtual_sdcard", "display_status", "pause_resume", "tmc2209 stepper_x", "gcode_macro G29"] + TOOLHEAD
            + ["extruder", "idle_timeout", "system_stats", "manual_probe"])

    def test_config_keeps_raw_values_and_settings_are_typed_with_defaults(self) -> None:
        status = self.configfile()
        config, settings = status["config"], status["settings"]
        self.assertEqual(config["printer"], {"kinematics": "cartesian", "max_velocity": "250",
                                             "max_accel": "2500", "max_z_velocity": "10"})
        self.assertEqual(settings["printer"]["max_velocity"], 250.0)
        self.assertEqual(settings["printer"]["square_corner_velocity"], 5.0)
        self.assertEqual(config["extruder"]["pid_kp"], "22.2")
        self.assertEqual(settings["extruder"]["pid_kp"], 22.2)
        self.assertEqual(settings["heater_bed"]["max_temp"], 110.0)
        self.assertEqual(settings["bed_mesh"]["probe_count"], [3])
        self.assertEqual(config["tmc2209 stepper_x"], {"uart_pin": "PC11", "run_current": "0.8"})
        self.assertEqual(config["virtual_sdcard"]["path"], self.gcodes)

    def test_the_save_config_block_overrides_and_is_listed(self) -> None:
        status = self.configfile()
        self.assertEqual(status["config"]["probe"]["z_offset"], "1.725")
        self.assertEqual(status["settings"]["probe"]["z_offset"], 1.725)
        self.assertEqual(status["config"]["bed_mesh default"]["x_count"], "3")
        self.assertEqual((status["save_config_pending"], status["save_config_pending_items"]), (False, {}))
        profiles = self.query({"bed_mesh": ["profiles"]})["bed_mesh"]["profiles"]
        self.assertEqual(profiles["default"]["points"][0], [0.01, 0.02, 0.03])
        self.assertEqual(profiles["default"]["mesh_params"]["algo"], "lagrange")

    def test_help_lists_the_configured_commands(self) -> None:
        help_text = self.help()
        for command in ("PROBE", "QUERY_PROBE", "BED_MESH_CALIBRATE", "BED_MESH_PROFILE", "SAVE_CONFIG", "SET_PIN",
                        "FORCE_MOVE", "SET_KINEMATIC_POSITION", "STEPPER_BUZZ", "SDCARD_PRINT_FILE", "PAUSE"):
            self.assertIn(command, help_text)
        self.assertEqual(help_text["G29"], "G-Code macro")
        self.assertEqual(help_text["SAVE_CONFIG"], "Overwrite config file and restart")

    def test_m118_with_respond_default_type_command(self) -> None:
        self.script_ok("M118 hi\nRESPOND MSG=there")
        self.assertEqual(self.client.output(), ["// hi", "// there"])

    def test_m105_reports_the_configured_heaters(self) -> None:
        self.script_ok("M105")
        self.assertEqual(self.client.output(), ["B:25.0 /0.0 T0:25.0 /0.0"])

    def test_moves_out_of_range_report_the_requested_position(self) -> None:
        self.assertEqual(self.client.error(self.run_script("G1 X10 F6000")), "Must home axis first: 10.000 0.000 0.000 [0.000]")
        self.assertEqual(self.client.output(), ["!! Must home axis first: 10.000 0.000 0.000 [0.000]"])
        self.script_ok("SET_KINEMATIC_POSITION X=100 Y=100 Z=10")
        self.assertEqual(self.client.error(self.run_script("G1 X300")), "Move out of range: 300.000 100.000 10.000 [0.000]")
        self.script_ok("M114")
        self.assertEqual(self.client.output()[-1], "X:100.000 Y:100.000 Z:10.000 E:0.000")

    def test_probe_needs_homing_then_reports_the_bed_height(self) -> None:
        self.assertEqual(self.client.error(self.run_script("PROBE")), "Must home before probe")
        self.script_ok("SET_KINEMATIC_POSITION X=100 Y=100 Z=10")
        self.client.output()
        result = self.wait(self.run_script("PROBE"), 5.0)
        self.assertEqual(result, {})
        lines = self.client.output()
        self.assertTrue(lines[0].startswith("// probe: at 125.000,105.000 bed will contact at z="), lines)
        self.assertTrue(lines[1].startswith("// Result: at 125.000,105.000 estimate contact at z="), lines)
        status = self.query({"probe": None})["probe"]
        self.assertEqual(status["name"], "probe")
        self.assertEqual(status["last_probe_position"][:2], [125.0, 105.0])

    def test_bed_mesh_calibrate_probes_the_grid_and_waits_for_save_config(self) -> None:
        self.script_ok("SET_KINEMATIC_POSITION X=100 Y=100 Z=10")
        self.assertEqual(self.wait(self.run_script("BED_MESH_CALIBRATE PROFILE=new"), 60.0), {})
        mesh = self.query({"bed_mesh": None})["bed_mesh"]
        self.assertEqual((mesh["profile_name"], mesh["mesh_min"], mesh["mesh_max"]), ("new", [30.0, 30.0], [190.0, 190.0]))
        self.assertEqual([len(row) for row in mesh["probed_matrix"]], [3, 3, 3])
        self.assertEqual([len(row) for row in mesh["mesh_matrix"]], [7] * 7)
        self.assertIn("Mesh Bed Leveling Complete", "\n".join(self.client.output()))
        status = self.configfile()
        self.assertTrue(status["save_config_pending"])
        self.assertEqual(sorted(status["save_config_pending_items"]["bed_mesh new"]),
                         sorted(["version", "points", "min_x", "max_x", "min_y", "max_y", "x_count", "y_count",
                                 "mesh_x_pps", "mesh_y_pps", "algo", "tension"]))

    def test_dump_mesh_endpoint(self) -> None:
        self.script_ok("BED_MESH_PROFILE LOAD=default")
        dump = self.client.result(self.client.request("bed_mesh/dump_mesh"))
        self.assertEqual(dump["current_mesh"]["name"], "default")
        self.assertEqual(dump["probe_offsets"], [25.0, 5.0, 1.725])
        self.assertEqual(len(dump["calibration"]["points"]), 9)
        self.assertEqual((dump["axis_minimum"], dump["axis_maximum"]), ([0.0, 0.0, -2.0, 0.0], [220.0, 220.0, 240.0, 0.0]))
        self.assertEqual(self.client.error(self.run_script("BED_MESH_PROFILE LOAD=nope")), "bed_mesh: Unknown profile [nope]")

    def test_save_config_writes_the_block_keeps_a_backup_and_restarts(self) -> None:
        self.script_ok("BED_MESH_PROFILE LOAD=default\nBED_MESH_PROFILE SAVE=kept\nBED_MESH_PROFILE REMOVE=default")
        request_id = self.run_script("SAVE_CONFIG")
        self.advance(1.0)
        self.assertEqual(self.client.result(request_id), {})
        self.assertTrue(self.client.closed)
        with open(self.config_path) as handle:
            text = handle.read()
        self.assertEqual(text.count(AUTOSAVE_HEADER.strip()), 1)
        self.assertIn("#*# [bed_mesh kept]", text)
        self.assertNotIn("#*# [bed_mesh default]", text)
        backups = [name for name in os.listdir(os.path.dirname(self.config_path)) if name.startswith("printer-")]
        self.assertEqual(len(backups), 1)
        self.advance(RESTART_DOWNTIME)
        client = self.connect()
        profiles = self.query({"bed_mesh": ["profiles"]}, client)["bed_mesh"]["profiles"]
        self.assertEqual(sorted(profiles), ["kept"])

    def test_arcs_are_cut_into_moves_along_the_circle(self) -> None:
        self.script_ok("SET_KINEMATIC_POSITION X=100 Y=100 Z=10\nG1 X100 Y100 F6000")
        self.assertEqual(self.client.error(self.run_script("G2 X120 Y100")), "G2/G3 requires IJ, IK or JK parameters")
        self.assertEqual(self.client.error(self.run_script("G2 X120 Y100 R10")), "G2/G3 does not support R moves")
        self.script_ok("G91")
        self.assertEqual(self.client.error(self.run_script("G2 X20 I10")), "G2/G3 does not support relative move mode")
        self.script_ok("G90")
        self.subscribe({"motion_report": ["live_position"]})
        request_id = self.run_script("G2 X120 Y100 I10 J0 F600")
        highest = 0.0
        for _ in range(16):
            self.advance(0.25)
            for push in self.client.pushes("st"):
                highest = max(highest, push["status"]["motion_report"]["live_position"][1])
        self.assertEqual(self.client.result(request_id), {})
        self.assertGreater(highest, 109.0)  # clockwise from the left: over the top of the circle
        self.script_ok("M114")
        self.assertEqual(self.client.output()[-1], "X:120.000 Y:100.000 Z:10.000 E:0.000")

    def test_output_pin_and_set_pin(self) -> None:
        self.assertEqual(self.query({"output_pin caselight": None})["output_pin caselight"], {"value": 0.5})
        self.script_ok("SET_PIN PIN=caselight VALUE=100")
        self.assertEqual(self.query({"output_pin caselight": None})["output_pin caselight"], {"value": 1.0})
        self.assertEqual(self.client.error(self.run_script("SET_PIN PIN=caselight")),
                         "SET_PIN command must specify VALUE or TEMPLATE")

    def test_unmodelled_sections_are_listed_with_an_empty_status(self) -> None:
        self.assertEqual(self.query({"tmc2209 stepper_x": None})["tmc2209 stepper_x"], {})

    def test_info_names_existing_paths_and_the_log(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual(info["config_file"], self.config_path)
        self.assertEqual(info["klipper_path"], KLIPPER_PATH)
        self.assertTrue(os.path.isdir(os.path.join(info["klipper_path"], "config")))
        self.assertTrue(os.path.isdir(os.path.join(info["klipper_path"], "docs")))
        self.assertTrue(os.path.exists(info["python_path"]))
        with open(info["log_file"]) as handle:
            log = handle.read()
        self.assertIn("Starting Klippy...", log)
        self.assertIn("[bed_mesh default]", log)


class CoreXYTests(ConfigTestCase):
    config_name = "corexy"

    def test_objects_include_the_sections_of_included_files_where_they_were_included(self) -> None:
        self.assertEqual(self.objects(), ALWAYS_FIRST + [
            "gcode_macro PRINT_START", "gcode_macro PRINT_END", "gcode_macro Report_Position",
            "gcode_macro FAIL_LOUDLY", "print_stats", "virtual_sdcard", "pause_resume", "display_status",
            "gcode_macro CANCEL_PRINT", "gcode_macro PAUSE", "gcode_macro RESUME", "heaters", "heater_bed", "fan",
            "heater_fan hotend_fan", "temperature_sensor chamber", "temperature_fan soc", "heater_generic chamber_heater",
            "fan_generic nevermore", "stepper_enable", "controller_fan electronics", "filament_switch_sensor runout",
            "neopixel status", "firmware_retraction", "save_variables", "gcode_move", "exclude_object", "idle_timeout", "query_endstops", "motion_report", "toolhead",
            "extruder", "system_stats", "manual_probe"])

    def test_casing_config_keeps_section_names_settings_lower_cases_them(self) -> None:
        status = self.configfile()
        self.assertIn("gcode_macro Report_Position", status["config"])
        self.assertIn("gcode_macro report_position", status["settings"])
        self.assertNotIn("gcode_macro Report_Position", status["settings"])
        self.assertEqual(status["settings"]["printer"]["kinematics"], "corexy")
        self.assertEqual(status["settings"]["idle_timeout"]["timeout"], 600.0)
        self.assertEqual(status["settings"]["virtual_sdcard"]["on_error_gcode"], "CANCEL_PRINT")

    def test_macros_with_rename_existing_show_in_help(self) -> None:
        help_text = self.help()
        self.assertEqual(help_text["CANCEL_PRINT"], "Cancel the actual running print")
        self.assertEqual(help_text["CANCEL_PRINT_BASE"], "Renamed builtin of 'CANCEL_PRINT'")
        self.assertEqual(help_text["PAUSE_BASE"], "Renamed builtin of 'PAUSE'")
        self.assertEqual(help_text["REPORT_POSITION"], "Tell where the toolhead is")
        self.assertEqual(help_text["UPDATE_DELAYED_GCODE"], "Update the duration of a delayed_gcode")

    def test_print_start_renders_params_and_variables(self) -> None:
        result = self.wait(self.run_script("PRINT_START BED=50 HOTEND=180"), 400.0)
        self.assertEqual(result, {})
        self.assertIn("// PRINT_START bed=50 hotend=180", self.client.output())
        status = self.query({"gcode_macro PRINT_START": None, "extruder": ["target"], "toolhead": ["homed_axes"]})
        self.assertEqual(status["gcode_macro PRINT_START"], {"purged": True})
        self.assertEqual((status["extruder"]["target"], status["toolhead"]["homed_axes"]), (180.0, "xyz"))

    def test_homing_override_runs_its_template(self) -> None:
        self.assertEqual(self.wait(self.run_script("G28"), 30.0), {})
        self.assertIn("echo: homed by override", self.client.output())
        self.assertEqual(self.query({"toolhead": ["homed_axes", "position"]})["toolhead"],
                         {"homed_axes": "xyz", "position": [150.0, 150.0, 0.5, 0.0]})

    def test_templates_read_printer_status_and_raise_errors_as_klippy_words_them(self) -> None:
        self.wait(self.run_script("G28"), 30.0)
        self.client.output()
        self.script_ok("Report_Position")
        self.assertEqual(self.client.output(), ["echo: at 150.0 150.0 0.5"])
        self.assertEqual(self.client.error(self.run_script("FAIL_LOUDLY")),
                         "Error evaluating 'gcode_macro FAIL_LOUDLY:gcode': gcode.CommandError: refusing to go on\n")

    def test_delayed_gcode_runs_after_ready(self) -> None:
        self.advance(1.5)
        self.assertIn("echo: welcome", self.client.output())

    def test_pause_resume_cancel_through_the_macros(self) -> None:
        self.write_gcode("cube.gcode", "G28\n" + "G1 X10 Y10 Z1 F6000\nG1 X200 Y200 F6000\n" * 50)
        self.script_ok("SDCARD_PRINT_FILE FILENAME=cube.gcode")
        self.advance(40.0)
        self.assertEqual(self.query({"print_stats": ["state"]})["print_stats"]["state"], "printing")
        self.assertEqual(self.wait(self.client.request("pause_resume/pause"), 10.0), {})
        status = self.query({"print_stats": ["state"], "pause_resume": None, "virtual_sdcard": ["is_active"]})
        self.assertEqual(status, {"print_stats": {"state": "paused"}, "pause_resume": {"is_paused": True},
                                  "virtual_sdcard": {"is_active": False}})
        self.assertEqual(self.wait(self.client.request("pause_resume/resume"), 10.0), {})
        self.assertEqual(self.query({"print_stats": ["state"]})["print_stats"]["state"], "printing")
        self.assertEqual(self.wait(self.client.request("pause_resume/cancel"), 10.0), {})
        status = self.query({"print_stats": ["state"], "virtual_sdcard": ["file_path"], "fan": ["speed"]})
        self.assertEqual(status, {"print_stats": {"state": "cancelled"}, "virtual_sdcard": {"file_path": None},
                                  "fan": {"speed": 0.0}})


class CoreXYPeripheralTests(ConfigTestCase):
    config_name = "corexy"

    def test_generic_heater_and_fans_and_filament_sensor(self) -> None:
        heaters = self.query({"heaters": None})["heaters"]
        self.assertEqual(heaters["available_heaters"], ["heater_bed", "heater_generic chamber_heater", "extruder"])
        self.script_ok("SET_HEATER_TEMPERATURE HEATER=chamber_heater TARGET=45\nSET_FAN_SPEED FAN=nevermore SPEED=0.5")
        self.advance(5.0)
        status = self.query({"heater_generic chamber_heater": ["target", "temperature"], "fan_generic nevermore": None,
                             "controller_fan electronics": ["speed"]})
        self.assertEqual(status["heater_generic chamber_heater"]["target"], 45.0)
        self.assertGreater(status["heater_generic chamber_heater"]["temperature"], 25.0)
        self.assertEqual(status["fan_generic nevermore"], {"speed": 0.5, "rpm": None})
        self.assertEqual(status["controller_fan electronics"], {"speed": 0.0})
        self.script_ok("SET_STEPPER_ENABLE STEPPER=stepper_x ENABLE=1")
        self.advance(1.5)
        self.assertEqual(self.query({"controller_fan electronics": ["speed"]})["controller_fan electronics"],
                         {"speed": 1.0})
        self.client.output()
        self.script_ok("QUERY_FILAMENT_SENSOR SENSOR=runout\nSET_FILAMENT_SENSOR SENSOR=runout ENABLE=0")
        self.assertEqual(self.client.output(), ["// Filament Sensor runout: filament detected"])
        self.assertEqual(self.query({"filament_switch_sensor runout": None})["filament_switch_sensor runout"],
                         {"filament_detected": True, "enabled": False})
        self.assertEqual(self.client.error(self.run_script("SET_FAN_SPEED FAN=nevermore")),
                         "SET_FAN_SPEED must specify SPEED or TEMPLATE")

    def test_temperature_fan_runs_fast_above_its_target(self) -> None:
        self.advance(1.5)
        status = self.query({"temperature_fan soc": None, "heaters": ["available_sensors"]})
        self.assertIn("temperature_fan soc", status["heaters"]["available_sensors"])
        self.assertEqual((status["temperature_fan soc"]["speed"], status["temperature_fan soc"]["target"]), (1.0, 30.0))
        self.script_ok("SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=soc TARGET=80 MIN_SPEED=0.2")
        self.advance(1.5)
        self.assertEqual(self.query({"temperature_fan soc": ["speed"]})["temperature_fan soc"], {"speed": 0.2})
        self.assertEqual(self.client.error(self.run_script("SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=soc TARGET=200")),
                         "Requested temperature (200.0) out of range (0.0:100.0)")


class LedTests(ConfigTestCase):
    config_name = "corexy"

    def test_set_led_colours_the_whole_chain_or_one_led(self) -> None:
        self.assertEqual(self.query({"neopixel status": None})["neopixel status"],
                         {"color_data": [[0.5, 0.0, 0.0, 0.0]] * 3})
        self.script_ok("SET_LED LED=status BLUE=1\nSET_LED LED=status INDEX=2 GREEN=0.25 WHITE=1")
        self.assertEqual(self.query({"neopixel status": None})["neopixel status"], {"color_data": [
            [0.0, 0.0, 1.0, 0.0], [0.0, 0.25, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]})
        self.assertEqual(self.client.error(self.run_script("SET_LED LED=status INDEX=4 RED=1")),
                         "Error on 'SET_LED LED=status INDEX=4 RED=1': INDEX must have maximum of 3")


class RetractionAndVariablesTests(ConfigTestCase):
    config_name = "corexy"

    def test_g10_and_g11_retract_and_unretract_once(self) -> None:
        self.wait(self.run_script("G28\nM109 S200"), 200.0)
        self.assertEqual(self.wait(self.run_script("G10\nG10\nM400"), 2.0), {})
        self.assertEqual(self.query({"toolhead": ["position"]})["toolhead"]["position"][3], -0.8)
        self.assertEqual(self.wait(self.run_script("SET_RETRACTION UNRETRACT_EXTRA_LENGTH=0.2\nG11\nG10\nG11"), 2.0), {})
        self.script_ok("GET_RETRACTION")
        self.assertEqual(self.client.output()[-1], "// RETRACT_LENGTH=0.80000 RETRACT_SPEED=40.00000 "
                                                   "UNRETRACT_EXTRA_LENGTH=0.20000 UNRETRACT_SPEED=10.00000")
        # SET_RETRACTION forgets the first retraction: only the second one is undone (+0.2 extra)
        self.assertAlmostEqual(self.query({"toolhead": ["position"]})["toolhead"]["position"][3], -0.8 + 0.2)

    def test_saved_variables_survive_a_restart(self) -> None:
        self.script_ok("SAVE_VARIABLE VARIABLE=nozzle VALUE=\"'0.6 hardened'\"\nSAVE_VARIABLE VARIABLE=count VALUE=3")
        self.assertEqual(self.client.error(self.run_script("SAVE_VARIABLE VARIABLE=Bad VALUE=1")),
                         "VARIABLE must not contain upper case")
        restart = self.client.request("gcode/restart")
        self.advance(0.75)
        self.assertEqual(self.client.result(restart), {})
        self.advance(RESTART_DOWNTIME)
        client = self.connect()
        self.assertEqual(self.query({"save_variables": None}, client)["save_variables"],
                         {"variables": {"count": 3, "nozzle": "0.6 hardened"}})


class ExcludeObjectTests(ConfigTestCase):
    config_name = "corexy"

    def test_labelled_objects_are_listed_and_an_excluded_ones_moves_are_skipped(self) -> None:
        self.wait(self.run_script("G28\nM104 S210\nM109 S210"), 200.0)
        self.script_ok("EXCLUDE_OBJECT_DEFINE NAME=cube_1 CENTER=100,100 POLYGON=[[90,90],[110,90],[110,110]]\n"
                       "EXCLUDE_OBJECT_DEFINE NAME=cube_2 CENTER=200,200\nM83")
        self.script_ok("EXCLUDE_OBJECT NAME=cube_2")
        self.assertEqual(self.client.output()[-1], "// Excluding object CUBE_2")
        self.assertEqual(self.wait(self.run_script(
            "EXCLUDE_OBJECT_START NAME=cube_2\nG1 X200 Y200 E5 F6000\nEXCLUDE_OBJECT_END NAME=cube_2\n"
            "EXCLUDE_OBJECT_START NAME=cube_1\nG1 X100 Y100 E1 F6000"), 5.0), {})
        status = self.query({"exclude_object": None, "toolhead": ["position"]})
        self.assertEqual(status["exclude_object"], {
            "objects": [{"name": "CUBE_1", "center": [100, 100], "polygon": [[90, 90], [110, 90], [110, 110]]},
                        {"name": "CUBE_2", "center": [200, 200]}],
            "excluded_objects": ["CUBE_2"], "current_object": "CUBE_1"})
        self.assertEqual(status["toolhead"]["position"], [100.0, 100.0, 0.5, 1.0])
        self.assertEqual(self.client.error(self.run_script("EXCLUDE_OBJECT_END\nEXCLUDE_OBJECT CURRENT=1")),
                         "There is no current object to cancel")
        self.script_ok("EXCLUDE_OBJECT_DEFINE RESET=1")
        self.assertEqual(self.query({"exclude_object": ["objects"]})["exclude_object"], {"objects": []})


class MinimalTests(ConfigTestCase):
    config_name = "minimal.cfg"

    def test_objects_settings_and_help_of_a_printer_with_no_extruder(self) -> None:
        self.assertEqual(self.objects(), ALWAYS_FIRST + TOOLHEAD + [
            "gcode_move", "idle_timeout", "system_stats", "manual_probe"])
        settings = self.configfile()["settings"]
        # idle_timeout and force_move are always loaded, so their defaults are read (as in Klippy)
        self.assertEqual(sorted(settings),
                         ["force_move", "idle_timeout", "mcu", "printer", "stepper_x", "stepper_y", "stepper_z"])
        self.assertEqual(settings["stepper_z"]["position_max"], 100.0)
        help_text = self.help()
        self.assertNotIn("SDCARD_PRINT_FILE", help_text)
        self.assertNotIn("PAUSE", help_text)
        self.assertEqual(self.query({"toolhead": ["extruder", "extra_axes"]})["toolhead"],
                         {"extruder": "", "extra_axes": {}})

    def test_extrusion_without_an_extruder_is_refused_and_m105_says_nothing(self) -> None:
        self.assertEqual(self.client.error(self.run_script("G1 E5")),
                         "Extrude when no extruder present: 0.000 0.000 0.000 [5.000]")
        self.client.output()
        self.script_ok("M105")  # no heaters: only the pseudo-tty's ack would say T:0
        self.assertEqual(self.client.output(), [])


class MissingConfigTests(SimulatorTestCase):
    def write_config(self) -> None:
        """No printer.cfg: the simulator writes its example."""

    def test_an_example_printer_cfg_is_written_and_used(self) -> None:
        with open(self.config_path) as handle:
            text = handle.read()
        self.assertIn(f"[virtual_sdcard]\npath: {self.gcodes}\n", text)
        self.assertIn("virtual_sdcard", self.client.result(self.client.request("objects/list"))["objects"])


class BrokenConfigTests(SimulatorTestCase):
    def write_config(self) -> None:
        os.makedirs(os.path.dirname(self.config_path))
        with open(self.config_path, "w") as handle:
            handle.write("[include missing.cfg]\n")

    def test_a_missing_include_is_a_config_error_until_fixed_and_restarted(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual(info["state"], "error")
        self.assertTrue(info["state_message"].startswith(
            f"Include file '{os.path.dirname(self.config_path)}/missing.cfg' does not exist\n"), info)
        install("minimal.cfg", os.path.dirname(self.config_path), self.gcodes)
        self.client.result(self.client.request("gcode/restart"))
        self.advance(RESTART_DOWNTIME + 0.25)
        fresh = self.connect()
        self.assertEqual(fresh.result(fresh.request("info"))["state"], "ready")


class StandaloneDefaultsTests(SimulatorTestCase):
    def test_default_config_path_is_beside_the_gcodes_folder(self) -> None:
        printer = SimulatedPrinter(self.clock, self.gcodes, monotonic_origin=ORIGIN)
        self.assertEqual(printer.config_path, self.config_path)
        self.assertIsNone(printer.info["log_file"])


class DelayedGCodeTests(ConfigTestCase):
    config_name = "corexy"

    def test_update_delayed_gcode_schedules_and_cancels(self) -> None:
        self.advance(1.5)
        self.client.output()
        self.script_ok("UPDATE_DELAYED_GCODE ID=WELCOME DURATION=2")
        self.advance(1.0)
        self.assertEqual(self.client.output(), [])
        self.advance(1.25)
        self.assertEqual(self.client.output(), ["echo: welcome"])
        self.script_ok("UPDATE_DELAYED_GCODE ID=WELCOME DURATION=1\nUPDATE_DELAYED_GCODE ID=WELCOME DURATION=0")
        self.advance(2.0)
        self.assertEqual(self.client.output(), [])
        self.assertEqual(self.client.error(self.run_script("UPDATE_DELAYED_GCODE ID=nope DURATION=1")),
                         "The value 'nope' is not valid for ID. Options: 'WELCOME'")


class RenameOfAMissingCommandTests(SimulatorTestCase):
    def write_config(self) -> None:
        install("minimal.cfg", os.path.dirname(self.config_path), self.gcodes)
        with open(self.config_path, "a") as handle:
            handle.write("\n[gcode_macro PAUSE]\nrename_existing: PAUSE_BASE\ngcode:\n  PAUSE_BASE\n")

    def test_renaming_a_command_that_does_not_exist_is_a_config_error(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual(info["state"], "error")
        self.assertTrue(info["state_message"].startswith(
            "Existing command 'PAUSE' not found in gcode_macro rename\n"), info)


class UnusableValueTests(SimulatorTestCase):
    def write_config(self) -> None:
        install("minimal.cfg", os.path.dirname(self.config_path), self.gcodes)
        with open(self.config_path, "a") as handle:
            handle.write("\n[bed_mesh]\nmesh_min: 10, 10\nmesh_max: 100, 100\nprobe_count: 2, 2, 2\n")

    def test_a_bad_value_halts_with_klippys_config_message(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual(info["state"], "error")
        self.assertIn("probe_count", info["state_message"])


class LoaderFailureTests(SimulatorTestCase):
    def setUp(self) -> None:
        def broken(loader: object, section: object) -> None:
            raise RuntimeError("the simulator could not model this")

        self.patch(modules, "LOADERS", dict(modules.LOADERS, fan=broken))
        super().setUp()

    def test_an_unexpected_failure_while_loading_halts_instead_of_crashing(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual(info["state"], "error")
        self.assertTrue(info["state_message"].startswith(
            "Internal error during connect: the simulator could not model this\n"), info)
