"""SIGKILL the real daemon in the middle of a stream of database writes."""

from __future__ import annotations

from twisted.internet.defer import DeferredList
from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.process import spawn_daemon

IN_FLIGHT = 32
KILL_AFTER = 1500


class DurabilityTests(TestCase):
    timeout = 90

    async def test_every_acknowledged_write_survives_sigkill_and_restart(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        ports = await process.listening
        client = await connect_websocket(self, f"ws://127.0.0.1:{ports['HTTP']}/websocket")
        acknowledged: list[int] = []
        next_index = 0

        def write(index: int) -> object:
            params = {"namespace": "stress", "key": f"k{index}", "value": {"i": index}}
            return client.call("server.database.post_item", params).addCallback(done, index)

        def done(reply: dict, index: int) -> object:
            if "result" not in reply:
                return None
            acknowledged.append(index)
            if len(acknowledged) == KILL_AFTER:
                process.signal("KILL")
            if len(acknowledged) < KILL_AFTER:
                nonlocal next_index
                next_index += 1
                return write(next_index)
            return None

        writers = [write(i) for i in range(IN_FLIGHT)]
        next_index = IN_FLIGHT - 1
        await process.ended
        await DeferredList(writers, consumeErrors=True)
        self.assertGreaterEqual(len(acknowledged), KILL_AFTER)

        restarted = spawn_daemon(data)
        self.addCleanup(restarted.kill)
        ports = await restarted.listening
        response = await http_client(self).get(
            f"http://127.0.0.1:{ports['HTTP']}/server/database/item?namespace=stress")
        stored = (await response.json())["result"]["value"]
        missing = [i for i in acknowledged if stored.get(f"k{i}") != {"i": i}]
        self.assertEqual(missing, [])
        restarted.signal("TERM")
        await restarted.ended
