"""Start-up that cannot succeed says why in one line, on stderr and in the log, and exits 1."""

from __future__ import annotations

import socket

from twisted.trial.unittest import TestCase

from moontwist.database import Store, store_path
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.process import spawn_command, spawn_daemon
from twisted.internet import reactor


class StartupFailureTests(TestCase):
    timeout = 60

    async def run_until_exit(self, data, config: str = BASE_CONFIG):  # type: ignore[no-untyped-def]
        (data / "config").mkdir(parents=True, exist_ok=True)
        (data / "config" / "moonraker.conf").write_text(config)
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        process.listening.addErrback(lambda _: None)
        status = await process.ended
        return status.exitCode, process.output

    async def test_busy_http_port_exits_1_naming_the_port(self) -> None:
        data = short_temp_dir(self)
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, output = await self.run_until_exit(data, BASE_CONFIG.replace("port: 0\n", f"port: {port}\n", 1))
        self.assertEqual(code, 1)
        line = f"moontwist: cannot start: HTTP: Couldn't listen on 127.0.0.1:{port}: [Errno 98] Address already in use."
        self.assertIn(line.encode(), output)
        self.assertNotIn(b"Traceback", output)
        self.assertIn(line, (data / "logs" / "moonraker.log").read_text())

    async def test_database_held_by_another_process_exits_1(self) -> None:
        data = short_temp_dir(self)
        store = Store(store_path(data), reactor)
        store.open()
        self.addCleanup(store.close)
        code, output = await self.run_until_exit(data)
        self.assertEqual(code, 1)
        self.assertIn(f"moontwist: cannot start: cannot open the database in {store_path(data)}".encode(), output)
        self.assertIn("cannot open the database", (data / "logs" / "moonraker.log").read_text())

    async def test_log_file_that_cannot_be_written_exits_1(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        (data / "file").write_text("not a folder")
        process = spawn_command(["-d", str(data), "-l", str(data / "file" / "moonraker.log")], data)
        self.addCleanup(process.kill)
        process.listening.addErrback(lambda _: None)
        self.assertEqual((await process.ended).exitCode, 1)
        self.assertEqual(process.output.decode(), f"moontwist: cannot write the log file {data}/file/moonraker.log: "
                                                  "File exists\n")

    async def test_unusable_data_folder_exits_1(self) -> None:
        parent = short_temp_dir(self)
        (parent / "file").write_text("not a folder")
        data = parent / "file"
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        process.listening.addErrback(lambda _: None)
        status = await process.ended
        self.assertEqual(status.exitCode, 1)
        self.assertIn(f"moontwist: data folder {data} is not writable: Not a directory".encode(), process.output)
