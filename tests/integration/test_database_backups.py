"""Backups on the real ``twistd moontwist`` process: back up, change, restore, restart, read."""

from __future__ import annotations

import json

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.process import spawn_daemon, wait_for


class BackupRestoreProcessTests(TestCase):
    timeout = 60

    async def test_restore_brings_back_the_backup_after_the_restart(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        port = (await process.listening)["HTTP"]
        base = f"http://127.0.0.1:{port}"
        fluidd = await connect_websocket(self, f"ws://127.0.0.1:{port}/websocket")
        item = {"namespace": "fluidd", "key": "uiSettings", "value": {"theme": "dark"}}
        self.assertIn("result", await fluidd.call("server.database.post_item", item))
        backup = await fluidd.call("server.database.post_backup", {"filename": "before.db"})
        self.assertEqual(backup["result"], {"backup_path": str((data / "backup/database/before.db").resolve())})

        http = http_client(self)
        listed = json.loads(await (await http.get(base + "/server/database/list")).text())["result"]
        self.assertEqual(listed["backups"], ["before.db"])
        changed = {**item, "value": {"theme": "light"}}
        self.assertIn("result", await fluidd.call("server.database.post_item", changed))
        unix = await connect_unix(self, data / "comms" / "moonraker.sock")
        compacted = (await unix.call("server.database.compact", {}))["result"]
        self.assertGreater(compacted["previous_size"], 0)

        response = await http.post(base + "/server/database/restore", json={"filename": "before.db"})
        restored = json.loads(await response.text())["result"]
        self.assertIn("fluidd", restored["restored_namespaces"])
        self.assertIn("namespace_store", restored["restored_tables"])

        # The server restarts itself (a new process image on a new port 0).
        await wait_for(lambda: process.ports["HTTP"] != port, timeout=20)
        again = f"http://127.0.0.1:{process.ports['HTTP']}"
        response = await http.get(again + "/server/database/item", params={"namespace": "fluidd", "key": "uiSettings"})
        self.assertEqual(json.loads(await response.text())["result"]["value"], {"theme": "dark"})
        process.signal("TERM")
        await process.ended
