"""What a subscription pushes: nothing while idle, changes as they happen."""

from __future__ import annotations

from .support import SimulatorTestCase

# Objects whose values a real printer re-reads every second (load, MCU
# counters, a host temperature): they push once a second even when idle.
PER_SECOND = {"system_stats", "mcu", "temperature_sensor raspberry_pi"}


class IdlePushTests(SimulatorTestCase):
    def test_an_idle_subscription_sends_nothing(self) -> None:
        objects = self.client.result(self.client.request("objects/list"))["objects"]
        self.subscribe({name: None for name in objects if name not in PER_SECOND})
        self.clock.advance(0.25)
        self.client.pushes("st")
        self.advance(3.0)
        self.assertEqual(self.client.pushes("st"), [])

    def test_estimated_print_time_moves_only_while_motion_runs(self) -> None:
        self.subscribe({"toolhead": ["estimated_print_time"]})
        self.clock.advance(0.25)
        self.client.pushes("st")
        self.advance(2.0)
        self.assertEqual(self.client.pushes("st"), [])
        self.script_ok("G4 P1000")
        self.advance(2.0)
        times = [push["status"]["toolhead"]["estimated_print_time"] for push in self.client.pushes("st")]
        self.assertEqual(len(times), 4)
        self.assertEqual(times, sorted(times))
        self.advance(2.0)
        self.assertEqual(self.client.pushes("st"), [])


class PrintPushTests(SimulatorTestCase):
    def test_layer_info_and_file_path_are_pushed_as_they_change(self) -> None:
        path = self.write_gcode("layers.gcode", "SET_PRINT_STATS_INFO TOTAL_LAYER=3\n"
                                "SET_PRINT_STATS_INFO CURRENT_LAYER=1\nG4 P3000\n"
                                "SET_PRINT_STATS_INFO CURRENT_LAYER=2\nG4 P1000\n")
        self.subscribe({"print_stats": ["info", "state"], "virtual_sdcard": ["file_path"]})
        self.clock.advance(0.25)
        self.client.pushes("st")
        self.script_ok("SDCARD_PRINT_FILE FILENAME=layers.gcode")
        self.advance(6.0)
        pushes = [push["status"] for push in self.client.pushes("st")]
        self.assertEqual([push["virtual_sdcard"]["file_path"] for push in pushes if "virtual_sdcard" in push],
                         [path, None])
        infos = [push["print_stats"]["info"] for push in pushes if "info" in push.get("print_stats", {})]
        self.assertEqual(infos, [{"total_layer": 3, "current_layer": 1}, {"total_layer": 3, "current_layer": 2}])
        self.assertEqual(pushes[-1]["print_stats"]["state"], "complete")
