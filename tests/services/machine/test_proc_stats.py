"""Process statistics: rates from successive readings, 1 Hz notifications on a Clock, throttling."""

from __future__ import annotations

from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from moontwist.services.machine import HostPaths, ProcStatsService, proc_stats, readings
from moontwist.services.machine.proc_stats import find_vcgencmd
from moontwist.services.machine.sampler import ProcStatsSampler
from moontwist.services.machine.throttling import parse_get_throttled, query_throttled, throttled_state
from tests.services.klippy.fakes import FakeConnection
from tests.services.machine.helpers import fake_programs, make_ctx, temp_dir, write_tree

NET_HEADER = ("Inter-|   Receive                                                |  Transmit\n"
              " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")


def self_stat(ticks: int) -> str:
    # pid (comm with spaces) state, then fields 4..; utime and stime are fields 14 and 15.
    before = " ".join(["0"] * 10)
    return f"123 (twistd moon) S {before} {ticks} 0 0 0\n"


def proc_stat(busy: int, idle: int) -> str:
    return (f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\n"
            f"cpu0 {busy} 0 0 {idle} 0 0 0 0 0 0\n"
            "intr 1 2 3\n")


def net_dev(rx: int, tx: int) -> str:
    return NET_HEADER + f"  eth0: {rx} 10 1 2 0 0 0 0 {tx} 20 3 4 0 0 0 0\n"


class FakeHost:
    """A fake /proc and /sys whose counters a test moves forward."""

    def __init__(self, test: SynchronousTestCase) -> None:
        self.root = write_tree(temp_dir(test), {
            "proc/self/status": "Name:\ttwistd\nVmHWM:\t   50000 kB\nVmRSS:\t   45232 kB\n",
            "proc/meminfo": "MemTotal: 1000 kB\nMemAvailable: 400 kB\n",
            "proc/uptime": "2876970.38 100.0\n",
            "sys/class/hwmon/hwmon0/name": "acpitz\n",
            "sys/class/hwmon/hwmon1/name": "coretemp\n",
            "sys/class/hwmon/hwmon1/temp1_input": "45622\n",
        })
        self.paths = HostPaths(self.root)
        self.set(ticks=0, busy=0, idle=0, rx=0, tx=0)

    def set(self, ticks: int, busy: int, idle: int, rx: int, tx: int) -> None:
        write_tree(self.root, {"proc/self/stat": self_stat(ticks), "proc/stat": proc_stat(busy, idle),
                               "proc/net/dev": net_dev(rx, tx)})


class SamplerTests(SynchronousTestCase):
    def test_rates_between_samples(self) -> None:
        host = FakeHost(self)
        sampler = ProcStatsSampler(host.paths, now=100.0, clock_ticks=100)
        host.set(ticks=5, busy=30, idle=70, rx=1000, tx=500)
        sample = sampler.sample(101.0)
        self.assertEqual(sample["moonraker_stats"],
                         {"time": 101.0, "cpu_usage": 5.0, "memory": 45232, "mem_units": "kB"})
        self.assertEqual(sample["system_cpu_usage"], {"cpu": 30.0, "cpu0": 30.0})
        self.assertEqual(sample["network"]["eth0"], {
            "rx_bytes": 1000, "rx_packets": 10, "rx_errs": 1, "rx_drop": 2,
            "tx_bytes": 500, "tx_packets": 20, "tx_errs": 3, "tx_drop": 4, "bandwidth": 1500.0})
        self.assertEqual(sample["cpu_temp"], 45.622)
        self.assertEqual(sample["system_memory"], {"total": 1000, "available": 400, "used": 600})

    def test_missing_files_give_nulls_and_empties(self) -> None:
        sampler = ProcStatsSampler(HostPaths(temp_dir(self)), now=0.0, clock_ticks=100)
        sample = sampler.sample(1.0)
        self.assertEqual(sample["moonraker_stats"], {"time": 1.0, "cpu_usage": None, "memory": None, "mem_units": ""})
        self.assertIsNone(sample["cpu_temp"])
        self.assertEqual((sample["network"], sample["system_cpu_usage"], sample["system_memory"]), ({}, {}, {}))

    def test_memory_from_smaps_rollup_when_status_has_none(self) -> None:
        root = write_tree(temp_dir(self), {
            "proc/self/status": "Name:\ttwistd\n",
            "proc/self/smaps_rollup": "55685ec53000-7ffc5981a000 ---p 00000000 00:00 0  [rollup]\nRss:   41000 kB\n",
        })
        self.assertEqual(readings.process_memory(HostPaths(root)), (41000, "kB"))

    def test_thermal_zone_when_no_cpu_hwmon(self) -> None:
        paths = HostPaths(write_tree(temp_dir(self), {"sys/class/thermal/thermal_zone0/temp": "51000\n"}))
        self.assertEqual(ProcStatsSampler(paths, 0.0).sample(1.0)["cpu_temp"], 51.0)


class ProcStatsServiceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(1000)
        self.host = FakeHost(self)
        self.ctx = make_ctx(self.clock, temp_dir(self))
        self.client = FakeConnection(1)
        self.ctx.connections.add(self.client)
        self.service = ProcStatsService(self.ctx, self.host.paths, vcgencmd="")
        self.service.startService()
        self.addCleanup(self.service.stopService)

    def test_notifies_every_connection_every_second(self) -> None:
        self.clock.advance(0.5)
        self.assertEqual(self.client.notifications("notify_proc_stat_update"), [])
        self.clock.advance(0.5)
        self.clock.advance(1)
        self.clock.advance(1)
        updates = self.client.notifications("notify_proc_stat_update")
        self.assertEqual(len(updates), 3)
        self.assertEqual(sorted(updates[0][0]), ["cpu_temp", "moonraker_stats", "network", "system_cpu_usage",
                                                 "system_memory", "websocket_connections"])
        self.assertEqual(updates[0][0]["websocket_connections"], 1)
        self.assertEqual([update[0]["moonraker_stats"]["time"] for update in updates], [1001.0, 1002.0, 1003.0])

    def test_keeps_the_last_thirty_samples(self) -> None:
        for _ in range(45):
            self.clock.advance(1)
        stats = self.service.proc_stats(None)  # type: ignore[arg-type]
        self.assertEqual(len(stats["moonraker_stats"]), 30)
        self.assertEqual(stats["moonraker_stats"][-1]["time"], 1045.0)
        self.assertEqual(stats["moonraker_stats"][0]["time"], 1016.0)
        self.assertEqual(stats["system_uptime"], 2876970.38)
        self.assertIsNone(stats["throttled_state"])
        self.assertEqual(sorted(stats), ["cpu_temp", "moonraker_stats", "network", "system_cpu_usage",
                                         "system_memory", "system_uptime", "throttled_state",
                                         "websocket_connections"])

    def test_stops_sampling_when_stopped(self) -> None:
        self.service.stopService()
        self.clock.advance(5)
        self.assertEqual(self.client.notifications("notify_proc_stat_update"), [])


class ThrottlingTests(SynchronousTestCase):
    def test_bits_and_flags(self) -> None:
        self.assertEqual(parse_get_throttled("throttled=0x50005\n"), 0x50005)
        self.assertEqual(throttled_state(0x50005), {"bits": 0x50005, "flags": [
            "Under-Voltage Detected", "Currently Throttled", "Previously Under-Volted", "Previously Throttled"]})
        self.assertEqual(throttled_state(0), {"bits": 0, "flags": []})
        self.assertRaises(ValueError, parse_get_throttled, "error=1")

    def test_vcgencmd_needs_the_mailbox_device(self) -> None:
        self.assertIsNone(find_vcgencmd(HostPaths(temp_dir(self))))



class ThrottleNotificationTests(SynchronousTestCase):
    def run_service(self, query: Any, seconds: int) -> tuple[FakeConnection, ProcStatsService]:
        """A service asking ``query`` for the throttled state, run for ``seconds``."""
        self.patch(proc_stats, "query_throttled", query)
        clock = Clock()
        ctx = make_ctx(clock, temp_dir(self))
        client = FakeConnection(1)
        ctx.connections.add(client)
        service = ProcStatsService(ctx, FakeHost(self).paths, vcgencmd="/usr/bin/vcgencmd")
        service.startService()
        self.addCleanup(service.stopService)
        for _ in range(seconds):
            clock.advance(1)
        return client, service

    def test_a_change_of_throttled_bits_is_notified(self) -> None:
        answers = [throttled_state(0), throttled_state(0), throttled_state(0x50005)]
        client, service = self.run_service(lambda reactor, program: succeed(answers.pop(0)), 30)
        self.assertEqual(answers, [])
        self.assertEqual(client.notifications("notify_cpu_throttled"), [[throttled_state(0x50005)]])
        self.assertEqual(service.proc_stats(None)["throttled_state"], throttled_state(0x50005))  # type: ignore[arg-type]

    def test_throttling_found_at_the_first_reading_is_notified(self) -> None:
        client, _ = self.run_service(lambda reactor, program: succeed(throttled_state(0x50000)), 11)
        self.assertEqual(client.notifications("notify_cpu_throttled"), [[throttled_state(0x50000)]])


class VcgencmdTests(TestCase):
    async def test_a_real_child_answers_and_its_failure_is_an_error(self) -> None:
        folder = fake_programs(self, {"vcgencmd": 'if [ -e "$0.broken" ]; then echo "no mailbox" >&2; exit 2; fi\n'
                                                  'echo "throttled=0x4"'})
        self.assertEqual(await query_throttled(reactor, str(folder / "vcgencmd")),
                         {"bits": 4, "flags": ["Currently Throttled"]})
        (folder / "vcgencmd.broken").touch()
        with self.assertRaises(ValueError) as raised:
            await query_throttled(reactor, str(folder / "vcgencmd"))
        self.assertEqual(str(raised.exception), "vcgencmd failed (2): no mailbox")
