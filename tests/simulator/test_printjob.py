"""Printing a real file: progress, durations, filament, pause/resume/cancel, errors."""

from __future__ import annotations

from typing import Any

from .support import SimulatorTestCase

# 40 moves of 10 mm at 50 mm/s: about 8 s of printing, with extrusion.
LINES = ["G90", "M83", "G92 E0"] + [f"G1 X{10 + (i % 2) * 10} Y{10 + i} E0.5 F3000 ; move {i}" for i in range(40)]
PRINT = "\n".join(LINES) + "\n"


class PrintJobTests(SimulatorTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.write_gcode("part.gcode", PRINT)
        request_id = self.run_script("G28\nM109 S210")
        self.advance(200.0, step=1.0)
        self.client.result(request_id)
        self.client.messages()

    def job(self) -> dict[str, Any]:
        return self.query({"print_stats": None, "virtual_sdcard": None, "pause_resume": None, "idle_timeout": ["state"]})

    def start(self, name: str = "part.gcode") -> None:
        self.script_ok(f"SDCARD_PRINT_FILE FILENAME={name}")

    def test_a_print_runs_from_start_to_complete_advancing_progress(self) -> None:
        self.start()
        self.assertEqual(self.client.output(), [f"File opened:part.gcode Size:{len(PRINT)}", "File selected"])
        self.advance(2.0)
        middle = self.job()
        self.assertEqual(middle["print_stats"]["state"], "printing")
        self.assertEqual(middle["print_stats"]["filename"], "part.gcode")
        self.assertTrue(0.0 < middle["virtual_sdcard"]["progress"] < 1.0, middle)
        self.assertTrue(middle["virtual_sdcard"]["is_active"])
        self.assertGreater(middle["print_stats"]["filament_used"], 0.0)
        self.assertGreater(middle["print_stats"]["print_duration"], 0.0)
        self.assertEqual(middle["idle_timeout"]["state"], "Printing")
        self.advance(10.0)
        done = self.job()
        self.assertEqual(done["print_stats"]["state"], "complete")
        # Like Klippy, filament is only totted up when print_stats is looked at.
        self.assertTrue(0.0 < middle["print_stats"]["filament_used"] <= done["print_stats"]["filament_used"] <= 20.0)
        self.assertEqual(done["virtual_sdcard"], {"file_path": None, "progress": 1.0, "is_active": False,
                                                  "file_position": len(PRINT), "file_size": len(PRINT)})
        self.assertEqual(self.client.output(), ["Done printing file"])

    def test_progress_reaches_subscribers_as_changed_fields(self) -> None:
        self.subscribe({"virtual_sdcard": ["progress"], "print_stats": ["state"]})
        self.client.pushes("st")
        self.start()
        self.advance(12.0)
        pushes = self.client.pushes("st")
        progress = [push["status"]["virtual_sdcard"]["progress"] for push in pushes if "virtual_sdcard" in push["status"]]
        self.assertGreater(len(progress), 10)
        self.assertEqual(progress, sorted(progress))
        states = [push["status"]["print_stats"]["state"] for push in pushes if "print_stats" in push["status"]]
        self.assertEqual(states, ["printing", "complete"])

    def test_pause_resume_and_cancel_through_the_endpoints(self) -> None:
        self.start()
        self.advance(2.0)
        pause = self.client.request("pause_resume/pause")
        self.advance(0.5)
        self.assertEqual(self.client.result(pause), {})
        paused = self.job()
        self.assertEqual(paused["print_stats"]["state"], "paused")
        self.assertEqual(paused["pause_resume"], {"is_paused": True})
        self.assertFalse(paused["virtual_sdcard"]["is_active"])
        position = paused["virtual_sdcard"]["file_position"]
        self.advance(5.0)
        self.assertEqual(self.job()["virtual_sdcard"]["file_position"], position)
        resume = self.client.request("pause_resume/resume")
        self.advance(1.0)
        self.assertEqual(self.client.result(resume), {})
        self.advance(1.0)
        resumed = self.job()
        self.assertEqual(resumed["print_stats"]["state"], "printing")
        self.assertGreater(resumed["virtual_sdcard"]["file_position"], position)
        cancel = self.client.request("pause_resume/cancel")
        self.advance(1.0)
        self.assertEqual(self.client.result(cancel), {})
        cancelled = self.job()
        self.assertEqual(cancelled["print_stats"]["state"], "cancelled")
        self.assertEqual(cancelled["pause_resume"], {"is_paused": False})
        self.assertEqual(cancelled["virtual_sdcard"]["file_position"], 0)
        self.assertIsNone(cancelled["virtual_sdcard"]["file_path"])

    def test_paused_time_is_not_print_time(self) -> None:
        self.start()
        self.advance(2.0)
        pause = self.run_script("PAUSE")
        self.advance(0.5)
        self.client.result(pause)
        before = self.job()["print_stats"]
        self.advance(30.0)
        after = self.job()["print_stats"]
        self.assertAlmostEqual(after["print_duration"], before["print_duration"])
        self.assertGreater(after["total_duration"], before["total_duration"] + 29.0)

    def test_pause_and_resume_outside_a_print_only_answer_with_actions(self) -> None:
        self.script_ok("RESUME\nPAUSE\nPAUSE\nRESUME\nCANCEL_PRINT")
        self.assertEqual(self.client.output(), [
            "// Print is not paused, resume aborted", "// action:paused", "// Print already paused",
            "// action:resumed", "// action:cancel",
        ])

    def test_starting_a_second_print_while_printing_is_refused(self) -> None:
        self.start()
        self.assertEqual(self.client.error(self.run_script("SDCARD_PRINT_FILE FILENAME=part.gcode")), "SD busy")

    def test_missing_file_cannot_be_opened(self) -> None:
        self.assertEqual(self.client.error(self.run_script("SDCARD_PRINT_FILE FILENAME=nope.gcode")),
                         "Unable to open file")

    def test_file_names_match_case_insensitively_in_subfolders_and_lose_a_leading_slash(self) -> None:
        self.write_gcode("sub/Benchy.gcode", "G4 P10\n")
        self.script_ok('SDCARD_PRINT_FILE FILENAME="/sub/benchy.gcode"')
        self.assertEqual(self.client.output(), ["File opened:sub/benchy.gcode Size:7", "File selected"])
        self.assertTrue(self.job()["virtual_sdcard"]["file_path"].endswith("/sub/Benchy.gcode"))
        self.advance(1.0)
        self.assertEqual(self.job()["print_stats"]["state"], "complete")

    def test_a_gcode_error_in_the_file_ends_the_print_in_error(self) -> None:
        self.write_gcode("bad.gcode", "G1 X10 F3000\nG1 X999\nG1 X20\n")
        self.start("bad.gcode")
        self.advance(2.0)
        job = self.job()
        self.assertEqual(job["print_stats"]["state"], "error")
        self.assertEqual(job["print_stats"]["message"], "Move out of range: 999.000 0.000 0.000 [0.000]")
        self.assertEqual(self.query({"extruder": ["target"]})["extruder"]["target"], 0.0)

    def test_api_scripts_run_between_file_lines_during_a_print(self) -> None:
        self.start()
        self.advance(1.0)
        request_id = self.run_script("M117 hello")
        self.advance(0.25)
        self.assertEqual(self.client.result(request_id), {})
        self.assertEqual(self.job()["print_stats"]["state"], "printing")

    def test_print_status_reports_m27_and_m20(self) -> None:
        self.script_ok("M27\nM20")
        self.assertEqual(self.client.output(), ["Not SD printing.", "Begin file list", f"part.gcode {len(PRINT)}",
                                                "End file list"])

    def test_print_stats_info_tracks_layers(self) -> None:
        self.script_ok("SET_PRINT_STATS_INFO TOTAL_LAYER=10\nSET_PRINT_STATS_INFO CURRENT_LAYER=12")
        self.assertEqual(self.job()["print_stats"]["info"], {"total_layer": 10, "current_layer": 10})


class PrintLifecycleTests(SimulatorTestCase):
    speed = 100.0

    def setUp(self) -> None:
        super().setUp()
        self.write_gcode("part.gcode", PRINT * 50)  # 400 s of printing, 4 s at this speed
        request_id = self.run_script("G28\nM109 S210")
        self.advance(5.0)
        self.client.result(request_id)
        self.subscribe({"print_stats": ["state"]})
        self.client.messages()

    def call(self, method: str) -> None:
        request_id = self.client.request(method)
        self.advance(1.0)  # the reader lets go of the G-code mutex once the motion queue has room
        self.assertEqual(self.client.result(request_id), {})

    def states(self) -> list[str]:
        return [push["status"]["print_stats"]["state"] for push in self.client.pushes("st")
                if "print_stats" in push["status"]]

    def test_states_through_pause_resume_cancel_and_a_new_start(self) -> None:
        self.script_ok("SDCARD_PRINT_FILE FILENAME=part.gcode")
        self.advance(0.25)
        self.call("pause_resume/pause")
        self.advance(0.5)
        self.call("pause_resume/resume")
        self.advance(0.5)
        self.call("pause_resume/cancel")
        reheat = self.run_script("M109 S210")  # the example's CANCEL_PRINT turns the heaters off
        self.advance(2.0)
        self.client.result(reheat)
        self.script_ok("SDCARD_PRINT_FILE FILENAME=part.gcode")
        self.advance(6.0)
        self.assertEqual(self.states(), ["printing", "paused", "printing", "cancelled", "printing", "complete"])

    def test_cancelling_a_paused_print_without_a_macro(self) -> None:
        self.script_ok("SDCARD_PRINT_FILE FILENAME=part.gcode")
        self.advance(0.25)
        self.call("pause_resume/pause")
        self.call("pause_resume/cancel")
        self.assertEqual(self.states(), ["printing", "paused", "cancelled"])
        self.assertEqual(self.query({"pause_resume": None})["pause_resume"], {"is_paused": False})

    def test_a_twenty_thousand_move_file_finishes(self) -> None:
        moves = "".join(f"G1 X{10 + i % 100} Y{10 + (i // 100) % 100} F12000\n" for i in range(20000))
        self.write_gcode("big.gcode", moves)
        self.script_ok("SDCARD_PRINT_FILE FILENAME=big.gcode")
        self.advance(60.0, step=1.0)
        self.assertEqual(self.states(), ["printing", "complete"])
        self.assertEqual(self.query({"virtual_sdcard": ["file_position"]})["virtual_sdcard"]["file_position"],
                         len(moves))
