"""G-code motion: homing, moves that take time, coordinates and their errors."""

from __future__ import annotations

from .support import SimulatorTestCase


class HomingTests(SimulatorTestCase):
    def test_g28_takes_time_then_homes_every_axis(self) -> None:
        request_id = self.run_script("G28")
        self.advance(1.0)
        self.assertIsNone(self.client.reply(request_id))
        self.advance(20.0)
        self.assertEqual(self.client.result(request_id), {})
        status = self.query({"toolhead": ["homed_axes", "position"], "stepper_enable": None})
        self.assertEqual(status["toolhead"], {"homed_axes": "xyz", "position": [0.0, 0.0, 0.0, 0.0]})
        self.assertEqual(status["stepper_enable"]["steppers"],
                         {"stepper_x": True, "stepper_y": True, "stepper_z": True, "extruder": False})

    def test_g28_with_an_axis_homes_only_that_axis(self) -> None:
        request_id = self.run_script("G28 X")
        self.advance(5.0)
        self.client.result(request_id)
        self.assertEqual(self.query({"toolhead": ["homed_axes"]})["toolhead"]["homed_axes"], "x")

    def test_m84_forgets_homing(self) -> None:
        self.home()
        self.script_ok("M84")
        self.assertEqual(self.query({"toolhead": ["homed_axes"]})["toolhead"]["homed_axes"], "")

    def test_endstops_are_queried_under_the_gcode_mutex(self) -> None:
        self.home()
        result = self.client.result(self.client.request("query_endstops/status"))
        self.assertEqual(result, {"stepper_x": "TRIGGERED", "stepper_y": "TRIGGERED", "stepper_z": "TRIGGERED"})
        self.script_ok("G1 X10 F6000")
        self.advance(1.0)
        self.script_ok("QUERY_ENDSTOPS")
        self.assertEqual(self.client.output(), ["stepper_x:open stepper_y:TRIGGERED stepper_z:TRIGGERED"])
        self.assertEqual(self.query({"query_endstops": None})["query_endstops"],
                         {"last_query": {"stepper_x": 0, "stepper_y": 1, "stepper_z": 1}})


class MoveTests(SimulatorTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.home()
        self.client.messages()

    def test_move_updates_commanded_position_at_once_and_live_position_over_time(self) -> None:
        self.script_ok("G1 X100 F6000")
        self.assertEqual(self.query({"toolhead": ["position"]})["toolhead"]["position"], [100.0, 0.0, 0.0, 0.0])
        self.advance(0.25)
        live = self.query({"motion_report": ["live_position", "live_velocity"]})["motion_report"]
        self.assertTrue(0.0 < live["live_position"][0] < 100.0, live)
        self.assertEqual(live["live_velocity"], 100.0)
        self.advance(1.5)
        self.assertEqual(self.query({"motion_report": ["live_position"]})["motion_report"]["live_position"][0], 100.0)

    def test_move_duration_is_distance_over_feedrate(self) -> None:
        self.script_ok("G1 X50 F600")
        request_id = self.run_script("M400")
        self.advance(4.75)
        self.assertIsNone(self.client.reply(request_id))
        self.advance(0.5)
        self.assertEqual(self.client.result(request_id), {})

    def test_a_move_is_held_back_while_more_than_a_second_of_earlier_moves_is_queued(self) -> None:
        first = self.run_script("G1 X20 F600")
        self.assertEqual(self.client.result(first), {})
        second = self.run_script("G1 X30 F600")
        self.assertIsNone(self.client.reply(second))
        self.advance(0.75)
        self.assertIsNone(self.client.reply(second))
        self.advance(0.25)
        self.assertEqual(self.client.result(second), {})

    def test_finished_moves_are_forgotten_without_a_motion_report_reader(self) -> None:
        for step in range(200):
            self.script_ok(f"G1 X{1 + step % 2} F60000")
            self.advance(0.1)
        self.assertLessEqual(len(self.printer.host.lookup_object("toolhead").moves), 2)

    def test_g4_p0_answers_at_once_even_after_moves(self) -> None:
        self.script_ok("G1 X5 F600")
        self.script_ok("G4 P0")

    def test_g4_dwells_for_p_milliseconds(self) -> None:
        self.script_ok("G4 P500")
        request_id = self.run_script("M400")
        self.advance(0.25)
        self.assertIsNone(self.client.reply(request_id))
        self.advance(0.5)
        self.client.result(request_id)

    def test_relative_moves_and_feedrate_in_gcode_move(self) -> None:
        self.script_ok("G91\nG1 X10 Y5 F3000\nG1 X10")
        status = self.query({"gcode_move": ["position", "absolute_coordinates", "speed"]})["gcode_move"]
        self.assertEqual(status, {"position": [20.0, 5.0, 0.0, 0.0], "absolute_coordinates": False, "speed": 3000.0})

    def test_g92_offsets_gcode_position_not_machine_position(self) -> None:
        self.script_ok("G1 X10 F6000\nG92 X0\nM114")
        self.assertEqual(self.client.output(), ["X:0.000 Y:0.000 Z:0.000 E:0.000"])
        status = self.query({"gcode_move": ["position", "gcode_position"]})["gcode_move"]
        self.assertEqual(status, {"position": [10.0, 0.0, 0.0, 0.0], "gcode_position": [0.0, 0.0, 0.0, 0.0]})

    def test_move_out_of_range_is_refused_and_position_kept(self) -> None:
        request_id = self.run_script("G1 X300")
        self.assertEqual(self.client.error(request_id), "Move out of range: 300.000 0.000 0.000 [0.000]")
        self.assertEqual(self.query({"gcode_move": ["position"]})["gcode_move"]["position"], [0.0, 0.0, 0.0, 0.0])

    def test_cold_extrusion_is_refused_with_the_two_line_error(self) -> None:
        request_id = self.run_script("G1 X10 E1")
        self.assertEqual(self.client.output(), [
            "// Extrude below minimum temp\n// See the 'min_extrude_temp' config option for details",
            "!! Extrude below minimum temp",
        ])
        self.assertEqual(self.client.error(request_id),
                         "Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details")

    def test_idle_timeout_goes_printing_then_ready_after_the_moves(self) -> None:
        self.advance(1.0)
        self.assertEqual(self.query({"idle_timeout": ["state"]})["idle_timeout"]["state"], "Ready")
        self.script_ok("G1 X50 F3000")
        self.assertEqual(self.query({"idle_timeout": ["state"]})["idle_timeout"]["state"], "Printing")
        self.advance(2.0)
        self.assertEqual(self.query({"idle_timeout": ["state"]})["idle_timeout"]["state"], "Ready")

    def test_bad_feedrate_and_unparsable_move(self) -> None:
        self.assertEqual(self.client.error(self.run_script("G1 X5 F0")), "Invalid speed in 'G1 X5 F0'")
        self.assertEqual(self.client.error(self.run_script("G1 X1.2.3")), "Unable to parse move 'G1 X1.2.3'")


class UnhomedTests(SimulatorTestCase):
    def test_moving_an_unhomed_axis_is_refused(self) -> None:
        self.assertEqual(self.client.error(self.run_script("G1 Z5")), "Must home axis first: 0.000 0.000 5.000 [0.000]")



class SpeedFactorTests(SimulatorTestCase):
    speed = 10.0

    def test_speed_factor_shortens_moves(self) -> None:
        self.home()
        self.script_ok("G1 X50 F600")
        request_id = self.run_script("M400")
        self.advance(0.5)
        self.assertEqual(self.client.result(request_id), {})

    def test_speed_also_scales_homing_dwells_and_heating(self) -> None:
        # At speed 1, G28 takes ~14 s, G4 P5000 5 s and heating to 200 °C about a minute.
        request_id = self.run_script("G28\nG4 P5000\nM109 S200")
        self.advance(1.0)
        self.assertIsNone(self.client.reply(request_id))
        self.advance(9.0)
        self.assertEqual(self.client.result(request_id), {})


class MotionDumpTests(SimulatorTestCase):
    def test_dump_trapq_sends_the_queued_moves_every_half_second(self) -> None:
        self.home()
        header = self.client.result(self.client.request(
            "motion_report/dump_trapq", name="toolhead", response_template={"method": "trapq"}))
        self.assertEqual(header, {"header": ["time", "duration", "start_velocity", "acceleration",
                                             "start_position", "direction"]})
        self.script_ok("G1 X30 F6000\nG1 Y40 F6000")
        self.advance(0.5)
        batches = self.client.pushes("trapq")
        self.assertEqual(len(batches), 1)
        moves = batches[0]["data"]
        self.assertEqual([move[4:] for move in moves], [[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
                                                         [[30.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        self.assertEqual([move[2] for move in moves], [100.0, 100.0])
        self.assertAlmostEqual(moves[0][1], 0.3)
        self.advance(1.0)
        self.assertEqual(self.client.pushes("trapq"), [])

    def test_dump_endpoints_check_the_name(self) -> None:
        self.assertEqual(self.client.error(self.client.request("motion_report/dump_trapq", name="nope")),
                         "The value 'nope' is not valid for name")
        self.assertEqual(self.client.result(self.client.request("motion_report/dump_stepper", name="stepper_x")),
                         {"header": ["interval", "count", "add"]})
