"""Changes made behind the server's back, seen through inotify and announced once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.files_client import call, eventually, file_changes, pause
from tests.metadata.helpers import sample


def with_gcodes(files: dict[str, bytes]) -> Callable[[Path], None]:
    """A ``prepare`` step writing ``files`` into the gcodes folder before the start."""

    def prepare(data: Path) -> None:
        for name, content in files.items():
            path = data / "gcodes" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)

    return prepare


class WatchTests(TestCase):
    async def start(self, prepare: Callable[[Path], None] | None = None) -> None:
        self.daemon = await start_daemon(self, BASE_CONFIG, prepare)
        self.files = self.daemon.ctx.component("file_manager")
        await self.files.ready
        self.gcodes = self.daemon.data_path / "gcodes"
        self.client = await connect_websocket(self, self.daemon.ws_url)

    async def metadata(self, filename: str) -> tuple[int, dict]:
        return await call(self, "GET", self.daemon.http_url + f"/server/files/metadata?filename={filename}")

    async def test_file_written_by_another_program_is_announced_with_its_metadata_ready(self) -> None:
        await self.start()
        with open(self.gcodes / "scp.gcode", "wb") as copy:
            copy.write(sample("cura"))
        announced = await self.client.next_notification("notify_filelist_changed")
        self.assertEqual((announced["params"][0]["action"], announced["params"][0]["item"]["path"]),
                         ("create_file", "scp.gcode"))
        code, body = await self.metadata("scp.gcode")
        self.assertEqual((code, body["result"]["slicer"]), (200, "Cura"))

    async def test_copied_tree_is_one_create_dir_and_its_gcodes_get_metadata(self) -> None:
        await self.start()
        source = self.daemon.data_path / "staging"
        (source / "sub").mkdir(parents=True)
        for index in range(10):
            (source / "sub" / f"{index}.gcode").write_bytes(sample("cura"))
        shutil.copytree(source, self.gcodes / "tree")
        await eventually(lambda: file_changes(self.client))
        await pause(1)
        self.assertEqual(file_changes(self.client), [("create_dir", "tree")])
        code, _ = await self.metadata("tree/sub/9.gcode")
        self.assertEqual(code, 200)

    async def test_removed_tree_is_one_delete_dir_and_its_metadata_is_pruned(self) -> None:
        await self.start(with_gcodes({f"old/sub/{index}.gcode": sample("cura") for index in range(5)}))
        self.assertEqual((await self.metadata("old/sub/0.gcode"))[0], 200)
        shutil.rmtree(self.gcodes / "old")
        await eventually(lambda: file_changes(self.client))
        await pause(1)
        self.assertEqual(file_changes(self.client), [("delete_dir", "old")])
        self.assertEqual((await self.metadata("old/sub/0.gcode"))[0], 404)

    async def test_renamed_file_is_a_move_and_its_metadata_follows(self) -> None:
        await self.start(with_gcodes({"before.gcode": sample("cura")}))
        (self.gcodes / "after").mkdir()
        await eventually(lambda: file_changes(self.client))
        os.rename(self.gcodes / "before.gcode", self.gcodes / "after" / "moved.gcode")
        await eventually(lambda: len(file_changes(self.client)) == 2)
        payload = [n["params"][0] for n in self.client.notifications
                   if n["method"] == "notify_filelist_changed"][1]
        self.assertEqual((payload["action"], payload["item"]["path"], payload["source_item"]),
                         ("move_file", "after/moved.gcode", {"path": "before.gcode", "root": "gcodes"}))
        self.assertEqual((await self.metadata("after/moved.gcode"))[0], 200)

    async def test_api_changes_are_not_announced_twice(self) -> None:
        await self.start()
        await self.client.call("server.files.post_directory", {"path": "gcodes/api"})
        await self.client.call("server.files.post_directory", {"path": "config/api"})
        await pause(1.5)
        self.assertEqual(file_changes(self.client), [("create_dir", "api"), ("create_dir", "api")])

    async def test_git_tree_in_config_is_neither_walked_nor_watched(self) -> None:
        def prepare(data: Path) -> None:
            for index in range(300):
                (data / "config" / ".git" / "objects" / f"{index:02x}").mkdir(parents=True)

        await self.start(prepare)
        git = self.daemon.data_path / "config" / ".git" / "objects"
        watched = self.files.watcher.watched
        self.assertFalse([folder for folder in watched if "/.git" in folder])
        self.assertIn(str(self.daemon.data_path / "config"), watched)
        (git / "00" / "pack").write_bytes(b"x")
        await pause(0.5)
        self.assertEqual(file_changes(self.client), [])
