"""The server.files.* endpoints on a real temp data folder (threads run inline)."""

from __future__ import annotations

import os
import zipfile
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.simulator.examples import KLIPPER_PATH
from tests.metadata.helpers import sample
from tests.services.files.helpers import FakeKlippy, FilesUnderTest, start_files


class EndpointTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.files = self.start()
        self.gcodes = self.files.data_path / "gcodes"
        self.config = self.files.data_path / "config"

    def start(self) -> FilesUnderTest:
        return start_files(self)

    def call(self, method: str, **args: Any) -> Any:
        return self.successResultOf(self.files.call(method, **args))

    def refused(self, method: str, **args: Any) -> ApiError:
        return self.failureResultOf(self.files.call(method, **args), ApiError).value

    def actions(self) -> list[tuple[str, str]]:
        return [(payload["action"], payload["item"]["path"]) for payload in self.files.announced]


class ListingTests(EndpointTestCase):
    def start(self) -> FilesUnderTest:
        files = {f"part{index}.gcode": sample("cura") for index in range(5)}
        return start_files(self, gcodes=files | {"readme.txt": b"x"})

    def test_roots_lists_the_data_folder_roots(self) -> None:
        roots = {root["name"]: root for root in self.call("server.files.roots")}
        self.assertEqual(sorted(roots), ["config", "gcodes", "logs"])
        self.assertEqual(roots["logs"]["permissions"], "r")
        self.assertEqual(roots["gcodes"]["path"], str(self.gcodes))
        self.assertEqual(self.files.service.root_names(), ["gcodes", "config", "logs"])

    def test_gcodes_list_has_only_gcode_files(self) -> None:
        paths = [item["path"] for item in self.call("server.files.list")]
        self.assertEqual(paths, [f"part{index}.gcode" for index in range(5)])

    def test_limit_and_offset_page_through_the_sorted_list(self) -> None:
        page = self.call("server.files.list", root="gcodes", limit=2, offset=1)
        self.assertEqual([item["path"] for item in page], ["part1.gcode", "part2.gcode"])
        self.assertEqual(self.refused("server.files.list", offset=-1).status, 400)

    def test_include_metadata_brings_the_metadata_in_the_same_call(self) -> None:
        page = self.call("server.files.list", include_metadata=True, limit=1)
        self.assertEqual(page[0]["metadata"]["slicer"], "Cura")

    def test_startup_scan_extracted_metadata(self) -> None:
        self.assertEqual(self.call("server.files.metadata", filename="part3.gcode")["filename"], "part3.gcode")

    def test_missing_metadata_is_404(self) -> None:
        error = self.refused("server.files.metadata", filename="readme.txt")
        self.assertEqual((error.status, error.message), (404, "Metadata not available for readme.txt"))

    def test_get_directory_extended_merges_metadata_and_reports_disk_usage(self) -> None:
        listing = self.call("server.files.get_directory", path="gcodes", extended=True)
        self.assertEqual(listing["root_info"], {"name": "gcodes", "permissions": "rw"})
        self.assertEqual(set(listing["disk_usage"]), {"total", "used", "free"})
        files = {info["filename"]: info for info in listing["files"]}
        self.assertEqual(files["part0.gcode"]["slicer"], "Cura")
        self.assertNotIn("slicer", files["readme.txt"])

    def test_get_directory_of_a_missing_folder_is_400(self) -> None:
        self.assertEqual(self.refused("server.files.get_directory", path="gcodes/nope").status, 400)

    def test_unknown_root_is_400(self) -> None:
        error = self.refused("server.files.list", root="secrets")
        self.assertEqual((error.status, error.message), (400, "Invalid root path (secrets)"))


class DirectoryTests(EndpointTestCase):
    def test_post_directory_creates_and_announces_once(self) -> None:
        result = self.call("server.files.post_directory", path="gcodes/new")
        self.assertEqual((result["action"], result["item"]["path"], result["item"]["root"]),
                         ("create_dir", "new", "gcodes"))
        self.assertTrue((self.gcodes / "new").is_dir())
        self.assertEqual(self.actions(), [("create_dir", "new")])

    def test_delete_directory_tree_is_one_delete_dir(self) -> None:
        (self.gcodes / "tree" / "sub").mkdir(parents=True)
        (self.gcodes / "tree" / "sub" / "a.gcode").write_bytes(sample("cura"))
        self.assertEqual(self.refused("server.files.delete_directory", path="gcodes/tree").status, 400)
        result = self.call("server.files.delete_directory", path="gcodes/tree", force=True)
        self.assertEqual(result, {"item": {"path": "tree", "root": "gcodes", "size": 0, "modified": 0,
                                           "permissions": ""}, "action": "delete_dir"})
        self.assertEqual(self.actions(), [("delete_dir", "tree")])
        self.assertFalse((self.gcodes / "tree").exists())

    def test_root_cannot_be_deleted(self) -> None:
        self.assertEqual(self.refused("server.files.delete_directory", path="gcodes", force=True).status, 400)

    def test_read_only_root_refuses_writes(self) -> None:
        self.assertEqual(self.refused("server.files.post_directory", path="logs/x").status, 405)
        self.assertFalse((self.files.data_path / "logs" / "x").exists())


class MoveCopyTests(EndpointTestCase):
    def setUp(self) -> None:
        super().setUp()
        (self.gcodes / "a.gcode").write_bytes(sample("cura"))
        self.successResultOf(self.files.service.metadata.scan("a.gcode"))

    def test_move_into_a_folder_created_a_moment_earlier(self) -> None:
        self.call("server.files.post_directory", path="gcodes/fresh")
        result = self.call("server.files.move", source="gcodes/a.gcode", dest="gcodes/fresh")
        self.assertEqual((result["action"], result["item"]["path"], result["source_item"]),
                         ("move_file", "fresh/a.gcode", {"path": "a.gcode", "root": "gcodes"}))
        self.assertTrue((self.gcodes / "fresh" / "a.gcode").is_file())
        self.assertEqual(self.call("server.files.metadata", filename="fresh/a.gcode")["filename"], "fresh/a.gcode")
        self.assertEqual(self.actions(), [("create_dir", "fresh"), ("move_file", "fresh/a.gcode")])

    def test_move_folder_is_one_move_dir(self) -> None:
        (self.gcodes / "d" / "e").mkdir(parents=True)
        os.replace(self.gcodes / "a.gcode", self.gcodes / "d" / "e" / "a.gcode")
        result = self.call("server.files.move", source="gcodes/d", dest="gcodes/renamed")
        self.assertEqual(result["action"], "move_dir")
        self.assertEqual(self.actions(), [("move_dir", "renamed")])

    def test_move_out_of_gcodes_drops_metadata(self) -> None:
        self.call("server.files.move", source="gcodes/a.gcode", dest="config/a.gcode")
        self.assertEqual(self.refused("server.files.metadata", filename="a.gcode").status, 404)

    def test_copy_into_a_fresh_folder_then_over_it(self) -> None:
        self.call("server.files.post_directory", path="gcodes/fresh")
        first = self.call("server.files.copy", source="gcodes/a.gcode", dest="gcodes/fresh/b.gcode")
        again = self.call("server.files.copy", source="gcodes/a.gcode", dest="gcodes/fresh/b.gcode")
        self.assertEqual((first["action"], again["action"]), ("create_file", "modify_file"))
        self.assertEqual(self.call("server.files.metadata", filename="fresh/b.gcode")["slicer"], "Cura")
        self.assertTrue((self.gcodes / "a.gcode").is_file())

    def test_copy_folder_is_create_dir(self) -> None:
        (self.gcodes / "d").mkdir()
        (self.gcodes / "d" / "x.gcode").write_bytes(sample("cura"))
        result = self.call("server.files.copy", source="gcodes/d", dest="gcodes/d2")
        self.assertEqual(result["action"], "create_dir")
        self.assertTrue((self.gcodes / "d2" / "x.gcode").is_file())
        self.assertEqual(self.call("server.files.metadata", filename="d2/x.gcode")["filename"], "d2/x.gcode")

    def test_moving_a_folder_into_itself_is_refused(self) -> None:
        (self.gcodes / "d").mkdir()
        self.assertEqual(self.refused("server.files.move", source="gcodes/d", dest="gcodes/d/inner").status, 400)

    def test_missing_source_is_400(self) -> None:
        self.assertEqual(self.refused("server.files.move", source="gcodes/no.gcode", dest="gcodes/x.gcode").status,
                         400)

    def test_delete_file_removes_file_metadata_and_announces(self) -> None:
        result = self.call("server.files.delete_file", path="gcodes/a.gcode")
        self.assertEqual(result["action"], "delete_file")
        self.assertFalse((self.gcodes / "a.gcode").exists())
        self.assertEqual(self.refused("server.files.metadata", filename="a.gcode").status, 404)
        self.assertEqual(self.actions(), [("delete_file", "a.gcode")])

    def test_delete_file_in_read_only_root_is_405(self) -> None:
        (self.files.data_path / "logs" / "klippy.log").write_text("x")
        error = self.refused("server.files.delete_file", path="logs/klippy.log")
        self.assertEqual((error.status, error.message), (405, "Path not available for DELETE: logs/klippy.log"))

    def test_zip_files_and_a_folder_without_recursion(self) -> None:
        (self.config / "printer.cfg").write_text("[printer]\n")
        (self.config / "sub").mkdir()
        (self.config / "sub" / "deep.cfg").write_text("x")
        result = self.call("server.files.zip", items=["config", "gcodes/a.gcode"], dest="config/out.zip")
        self.assertEqual((result["action"], result["destination"]["path"]), ("zip_files", "out.zip"))
        with zipfile.ZipFile(self.config / "out.zip") as archive:
            self.assertEqual(sorted(archive.namelist()), ["config/moonraker.conf", "config/printer.cfg",
                                                          "gcodes/a.gcode"])

    def test_thumbnails_have_paths_relative_to_gcodes(self) -> None:
        from tests.services.files.test_metadata_store import gcode_with_thumbnail

        (self.gcodes / "sub").mkdir()
        (self.gcodes / "sub" / "t.gcode").write_bytes(gcode_with_thumbnail())
        self.call("server.files.metascan", filename="sub/t.gcode")
        thumbnails = self.call("server.files.thumbnails", filename="sub/t.gcode")
        self.assertEqual([t["thumbnail_path"] for t in thumbnails],
                         ["sub/.thumbs/t-32x32.png", "sub/.thumbs/t-48x48.png"])
        self.assertNotIn("relative_path", thumbnails[0])


class InUseTests(EndpointTestCase):
    def start(self) -> FilesUnderTest:
        self.klippy = FakeKlippy(print_state="printing", filename="sub/printing.gcode")
        return start_files(self, klippy=self.klippy)

    def setUp(self) -> None:
        super().setUp()
        (self.gcodes / "sub").mkdir()
        (self.gcodes / "sub" / "printing.gcode").write_bytes(sample("cura"))

    def test_the_printed_file_and_its_folder_cannot_be_moved_or_deleted(self) -> None:
        for method, args in (("server.files.move", {"source": "gcodes/sub/printing.gcode", "dest": "gcodes/x.gcode"}),
                             ("server.files.move", {"source": "gcodes/sub", "dest": "gcodes/other"}),
                             ("server.files.delete_file", {"path": "gcodes/sub/printing.gcode"}),
                             ("server.files.delete_directory", {"path": "gcodes/sub", "force": True})):
            error = self.refused(method, **args)
            self.assertEqual((error.status, error.message), (403, "File currently in use"), method)
        self.assertTrue((self.gcodes / "sub" / "printing.gcode").is_file())

    def test_the_printed_file_cannot_be_overwritten_but_may_be_copied(self) -> None:
        (self.gcodes / "other.gcode").write_bytes(b"G1\n")
        error = self.refused("server.files.copy", source="gcodes/other.gcode", dest="gcodes/sub/printing.gcode")
        self.assertEqual(error.status, 403)
        self.call("server.files.copy", source="gcodes/sub/printing.gcode", dest="gcodes/copy.gcode")
        self.assertTrue((self.gcodes / "copy.gcode").is_file())

    def test_nothing_is_in_use_when_the_print_is_over(self) -> None:
        self.klippy.status["print_stats"]["state"] = "complete"
        self.call("server.files.delete_file", path="gcodes/sub/printing.gcode")

    def test_the_guard_subscribes_to_print_stats(self) -> None:
        self.assertIn({"print_stats": ["state", "filename"]}, self.klippy.subscribers.values())


class KlipperRootTests(EndpointTestCase):
    def start(self) -> FilesUnderTest:
        self.klippy = FakeKlippy()
        return start_files(self, klippy=self.klippy)

    def test_klippers_config_and_docs_become_read_only_roots_when_klippy_is_ready(self) -> None:
        klipper = self.files.data_path / "klipper"
        (klipper / "config").mkdir(parents=True)
        (klipper / "docs").mkdir()
        (klipper / "config" / "printer-voron.cfg").write_text("[printer]\n")
        self.klippy.info = {"klipper_path": str(klipper), "log_file": str(self.files.data_path / "k.log")}
        self.files.ctx.events.emit("klippy_ready")
        roots = {root["name"]: root["permissions"] for root in self.call("server.files.roots")}
        self.assertEqual((roots["config_examples"], roots["docs"]), ("r", "r"))
        self.assertEqual(self.actions(), [("root_update", ""), ("root_update", "")])
        paths = [item["path"] for item in self.call("server.files.list", root="config_examples")]
        self.assertEqual(paths, ["printer-voron.cfg"])
        self.assertEqual(self.files.service.log_path("klippy.log"), self.files.data_path / "k.log")
        self.files.ctx.events.emit("klippy_ready")
        self.assertEqual(len(self.actions()), 2)

    def test_the_simulators_klipper_folder_inside_our_sources_is_readable_not_writable(self) -> None:
        self.klippy.info = {"klipper_path": KLIPPER_PATH}
        self.files.ctx.events.emit("klippy_ready")
        paths = [item["path"] for item in self.call("server.files.list", root="config_examples")]
        self.assertIn("printer-simulator.cfg", paths)
        self.assertIn("printer-simulator.cfg",
                      [f["filename"] for f in self.call("server.files.get_directory", path="config_examples")["files"]])
        error = self.refused("server.files.delete_file", path="config_examples/printer-simulator.cfg")
        self.assertEqual(error.status, 405)

    def test_missing_klipper_folders_are_not_registered(self) -> None:
        self.klippy.info = {"klipper_path": str(self.files.data_path / "nowhere")}
        self.files.ctx.events.emit("klippy_ready")
        self.assertEqual(self.files.service.root_names(), ["gcodes", "config", "logs"])
