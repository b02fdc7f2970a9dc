"""[file_manager] enable_object_processing on the real daemon: uploads get EXCLUDE_OBJECT definitions."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.files_client import call, form, post_form
from tests.metadata.helpers import sample
from tests.metadata.test_objects import hide_processor_package

PROCESSING = "\n[file_manager]\nenable_object_processing: True\n"


class ObjectProcessingTests(TestCase):
    async def start(self, config: str) -> RunningDaemon:
        self.daemon = await start_daemon(self, config)
        await self.daemon.ctx.component("file_manager").ready
        self.client = await connect_websocket(self, self.daemon.ws_url)
        return self.daemon

    async def upload(self, name: str, data: bytes, **fields: str) -> dict:
        """Upload, then wait for the announcement (which follows the metadata)."""
        announced = self.client.next_notification("notify_filelist_changed")
        code, answer, _ = await post_form(self, self.daemon.http_url + "/server/files/upload",
                                          form(fields, name, data))
        self.assertEqual(code, 201, answer)
        await announced
        return answer

    async def metadata(self, name: str) -> dict:
        code, answer = await call(self, "GET", self.daemon.http_url + f"/server/files/metadata?filename={name}")
        self.assertEqual(code, 200)
        return answer["result"]

    async def test_an_upload_is_processed_before_it_appears(self) -> None:
        await self.start(BASE_CONFIG + PROCESSING)
        answer = await self.upload("plate.gcode", sample("prusaslicer_objects"))
        self.assertEqual(answer["item"]["path"], "plate.gcode")
        stored = (self.daemon.data_path / "gcodes" / "plate.gcode").read_text()
        self.assertEqual(stored.count("EXCLUDE_OBJECT_DEFINE NAME="), 2)
        self.assertEqual(answer["item"]["size"], len(stored.encode()))
        metadata = await self.metadata("plate.gcode")
        self.assertEqual((metadata["file_processors"], metadata["slicer"]),
                         (["preprocess_cancellation"], "PrusaSlicer"))
        self.assertEqual(metadata["size"], len(stored.encode()))
        leftovers = [path.name for path in (self.daemon.data_path / "gcodes").iterdir() if path.name.endswith(".part")]
        self.assertEqual(leftovers, [])

    async def test_files_without_objects_and_other_roots_are_stored_as_sent(self) -> None:
        await self.start(BASE_CONFIG + PROCESSING)
        await self.upload("plain.gcode", sample("prusaslicer"))
        self.assertEqual((self.daemon.data_path / "gcodes" / "plain.gcode").read_bytes(), sample("prusaslicer"))
        self.assertEqual((await self.metadata("plain.gcode"))["file_processors"], [])
        await self.upload("macro.gcode", sample("cura_objects"), root="config")
        self.assertEqual((self.daemon.data_path / "config" / "macro.gcode").read_bytes(), sample("cura_objects"))

    async def test_without_the_option_uploads_are_untouched(self) -> None:
        await self.start(BASE_CONFIG)
        await self.upload("plate.gcode", sample("cura_objects"))
        self.assertEqual((self.daemon.data_path / "gcodes" / "plate.gcode").read_bytes(), sample("cura_objects"))
        self.assertEqual((await self.metadata("plate.gcode"))["file_processors"], [])
        info = (await call(self, "GET", self.daemon.http_url + "/server/info"))[1]["result"]
        self.assertEqual([w for w in info["warnings"] if "object" in w], [])

    async def test_a_file_the_processor_fails_on_is_stored_as_sent(self) -> None:
        await self.start(BASE_CONFIG + PROCESSING)
        broken = sample("ideamaker_objects").replace(b";PRINTING_ID: 1\n", b"", 1)
        await self.upload("broken.gcode", broken)
        self.assertEqual((self.daemon.data_path / "gcodes" / "broken.gcode").read_bytes(), broken)
        self.assertEqual((await self.metadata("broken.gcode"))["file_processors"], [])

    async def test_without_the_package_the_option_is_a_warning_and_uploads_are_untouched(self) -> None:
        hide_processor_package(self)
        await self.start(BASE_CONFIG + PROCESSING)
        info = (await call(self, "GET", self.daemon.http_url + "/server/info"))[1]["result"]
        self.assertIn("[file_manager]: enable_object_processing needs the preprocess-cancellation package "
                      "(pip install 'moontwist[objects]')", info["warnings"])
        await self.upload("plate.gcode", sample("cura_objects"))
        self.assertEqual((self.daemon.data_path / "gcodes" / "plate.gcode").read_bytes(), sample("cura_objects"))
