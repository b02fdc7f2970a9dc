"""server.gcode_store and server.temperature_store."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request
from moontwist.errors import ApiError
from moontwist.services.klippy.gcode_store import GcodeStore
from moontwist.services.klippy.temperature_store import Series
from tests.services.klippy.fakes import FakeKlippy, start_service


class GcodeStoreTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(1615832299.5)
        self.store = GcodeStore(self.clock, size=3)

    def entries(self, **args: object) -> list[dict[str, object]]:
        return self.store.gcode_store(Request("server.gcode_store", dict(args)))["gcode_store"]

    def test_entries_have_message_unix_time_and_type(self) -> None:
        self.store.add_command("FIRMWARE_RESTART")
        self.store.add_response("// Klipper state: Ready")
        self.assertEqual(self.entries(), [
            {"message": "FIRMWARE_RESTART", "time": 1615832299.5, "type": "command"},
            {"message": "// Klipper state: Ready", "time": 1615832299.5, "type": "response"},
        ])

    def test_blank_commands_are_not_stored(self) -> None:
        self.store.add_command("  \n")
        self.assertEqual(self.entries(), [])

    def test_oldest_entries_fall_out(self) -> None:
        for n in range(5):
            self.store.add_response(str(n))
        self.assertEqual([e["message"] for e in self.entries()], ["2", "3", "4"])

    def test_count_returns_the_newest(self) -> None:
        for n in range(3):
            self.store.add_response(str(n))
        self.assertEqual([e["message"] for e in self.entries(count=2)], ["1", "2"])
        self.assertEqual([e["message"] for e in self.entries(count="10")], ["0", "1", "2"])
        self.assertEqual(self.entries(count=0), [])
        self.assertRaises(ApiError, self.entries, count=-1)


class SeriesTests(SynchronousTestCase):
    def test_keeps_the_last_samples_oldest_first(self) -> None:
        series = Series(3)
        for value in (1.0, 2.0, 3.0, 4.0, 5.0):
            series.append(value)
        self.assertEqual(series.values(), [3.0, 4.0, 5.0])

    def test_rounds_to_two_decimals(self) -> None:
        series = Series(2)
        series.append(150.555)
        series.append(7)
        self.assertEqual(series.values(), [150.56, 7.0])

    def test_missing_and_non_numbers_read_back_as_null(self) -> None:
        series = Series(4)
        for value in (None, "hot", True, 1.5):
            series.append(value)
        self.assertEqual(series.values(), [None, None, None, 1.5])

    def test_size_zero_keeps_nothing(self) -> None:
        series = Series(0)
        series.append(1.0)
        self.assertEqual(series.values(), [])


class TemperatureStoreTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.klippy = FakeKlippy(self.reactor)
        self.ctx, self.service = start_service(self.reactor, temperature_store_size=3)

    def store(self, **args: object) -> dict[str, dict[str, list[object]]]:
        result = self.ctx.registry.dispatch(Request("server.temperature_store", dict(args)))
        return self.successResultOf(result)  # type: ignore[no-any-return]

    def test_empty_before_klippy_is_ready(self) -> None:
        self.reactor.advance(5)
        self.assertEqual(self.store(), {})

    def test_sensors_come_from_heaters_with_their_fields(self) -> None:
        self.klippy.accept()
        self.reactor.advance(1)
        self.assertEqual(self.store(), {
            "extruder": {"temperatures": [21.04], "targets": [0.0], "powers": [0.0]},
            "heater_bed": {"temperatures": [22.0], "targets": [0.0], "powers": [0.0]},
            "temperature_sensor mcu": {"temperatures": [40.12]},
        })

    def test_monitors_only_on_request(self) -> None:
        self.klippy.accept()
        self.reactor.advance(1)
        self.assertEqual(self.store(include_monitors="true")["tmc2240 stepper_x"], {"temperatures": [30.0]})

    def test_samples_every_second_from_the_latest_values(self) -> None:
        self.klippy.accept()
        self.reactor.advance(1)
        self.klippy.push({"extruder": {"temperature": 150.555, "target": 200.0}})
        self.reactor.advance(1)
        self.reactor.advance(1)
        self.reactor.advance(1)
        extruder = self.store()["extruder"]
        self.assertEqual(extruder["temperatures"], [150.56, 150.56, 150.56])
        self.assertEqual(extruder["targets"], [200.0, 200.0, 200.0])

    def test_history_survives_a_klippy_restart(self) -> None:
        self.klippy.accept()
        self.reactor.advance(1)
        self.klippy.lose()
        self.reactor.advance(0.25)
        restarted = FakeKlippy(self.reactor)
        del restarted.objects["temperature_sensor mcu"]
        restarted.objects["heaters"]["available_sensors"] = ["extruder", "heater_bed"]
        self.reactor.advance(0.75)
        restarted.accept()
        self.reactor.advance(1)
        store = self.store()
        self.assertEqual(store["extruder"]["temperatures"], [21.04, 21.04])
        self.assertNotIn("temperature_sensor mcu", store)

    def test_no_samples_while_disconnected(self) -> None:
        self.klippy.accept()
        self.klippy.lose()
        self.reactor.advance(3)
        self.assertEqual(self.store()["extruder"]["temperatures"], [])
