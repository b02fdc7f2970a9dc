"""Heaters warm toward their targets over time; M109/M190 wait for them."""

from __future__ import annotations

from .support import SimulatorTestCase


class HeatingTests(SimulatorTestCase):
    def temperature(self, name: str) -> float:
        return float(self.query({name: ["temperature"]})[name]["temperature"])

    def test_extruder_heats_toward_its_target_over_time(self) -> None:
        self.script_ok("M104 S200")
        status = self.query({"extruder": ["target", "temperature", "power"]})["extruder"]
        self.assertEqual(status, {"target": 200.0, "temperature": 25.0, "power": 0.0})
        self.advance(10.0)
        warm = self.query({"extruder": ["temperature", "power"]})["extruder"]
        self.assertTrue(50.0 < warm["temperature"] < 200.0, warm)
        self.assertEqual(warm["power"], 1.0)
        self.advance(120.0, step=1.0)
        self.assertAlmostEqual(self.temperature("extruder"), 200.0, delta=0.5)

    def test_heater_cools_back_to_ambient_when_turned_off(self) -> None:
        self.script_ok("M140 S60")
        self.advance(120.0, step=1.0)
        self.script_ok("TURN_OFF_HEATERS")
        self.advance(600.0, step=5.0)
        self.assertLess(self.temperature("heater_bed"), 30.0)

    def test_m109_answers_only_once_the_target_is_reached_reporting_each_second(self) -> None:
        request_id = self.run_script("M109 S200")
        self.advance(30.0)
        self.assertIsNone(self.client.reply(request_id))
        output = self.client.output()
        self.assertGreaterEqual(len(output), 30)
        self.assertEqual(output[0], "B:25.0 /0.0 T0:25.0 /200.0")
        self.advance(120.0)
        self.assertEqual(self.client.result(request_id), {})
        self.assertGreater(self.temperature("extruder"), 199.0)

    def test_m190_waits_for_the_bed(self) -> None:
        request_id = self.run_script("M190 S60")
        self.advance(10.0)
        self.assertIsNone(self.client.reply(request_id))
        self.advance(200.0, step=1.0)
        self.assertEqual(self.client.result(request_id), {})
        self.assertGreater(self.temperature("heater_bed"), 59.0)

    def test_m105_reports_every_heater(self) -> None:
        self.script_ok("M140 S60\nM104 S210\nM105")
        self.assertEqual(self.client.output(), ["B:25.0 /60.0 T0:25.0 /210.0"])

    def test_set_heater_temperature_by_heater_name(self) -> None:
        self.script_ok("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=55")
        self.assertEqual(self.query({"heater_bed": ["target"]})["heater_bed"]["target"], 55.0)

    def test_set_heater_temperature_with_unknown_heater_lists_the_options(self) -> None:
        request_id = self.run_script("SET_HEATER_TEMPERATURE HEATER=bed TARGET=55")
        self.assertEqual(self.client.error(request_id), "The value 'bed' is not valid for HEATER. Did you mean 'heater_bed'?")
        request_id = self.run_script("SET_HEATER_TEMPERATURE HEATER=chamber TARGET=55")
        self.assertEqual(self.client.error(request_id),
                         "The value 'chamber' is not valid for HEATER. Options: 'heater_bed', 'extruder'")

    def test_target_out_of_range_is_refused(self) -> None:
        self.assertEqual(self.client.error(self.run_script("M104 S400")),
                         "Requested temperature (400.0) out of range (0.0:280.0)")

    def test_extrusion_is_allowed_once_hot(self) -> None:
        self.home()
        request_id = self.run_script("M109 S210\nG1 X10 E2 F1200")
        self.advance(120.0)
        self.assertEqual(self.client.result(request_id), {})
        self.assertIs(self.query({"extruder": ["can_extrude"]})["extruder"]["can_extrude"], True)

    def test_heaters_list_and_host_sensor(self) -> None:
        status = self.query({"heaters": None, "temperature_sensor raspberry_pi": None})
        self.assertEqual(status["heaters"], {
            "available_heaters": ["heater_bed", "extruder"],
            "available_sensors": ["heater_bed", "temperature_sensor raspberry_pi", "extruder"],
            "available_monitors": [],
        })
        sensor = status["temperature_sensor raspberry_pi"]
        self.assertTrue(40.0 < sensor["temperature"] < 50.0, sensor)
        self.assertLessEqual(sensor["measured_min_temp"], sensor["measured_max_temp"])

    def test_heater_fan_runs_while_the_hotend_is_hot(self) -> None:
        self.script_ok("M104 S200")
        self.advance(2.0)
        self.assertEqual(self.query({"heater_fan hotend_fan": ["speed"]})["heater_fan hotend_fan"]["speed"], 1.0)


class FanTests(SimulatorTestCase):
    def test_m106_sets_and_m107_clears_the_part_fan(self) -> None:
        self.script_ok("M106 S127.5")
        self.assertEqual(self.query({"fan": None})["fan"], {"speed": 0.5, "rpm": None})
        self.script_ok("M107")
        self.assertEqual(self.query({"fan": ["speed"]})["fan"]["speed"], 0.0)
