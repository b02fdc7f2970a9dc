"""Client paths: refused as text, then checked on disk after resolving symlinks."""

from __future__ import annotations

import os
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.services.files.paths import Location, Root, RootTable, check_relative


class CheckRelativeTests(SynchronousTestCase):
    def refused(self, text: str) -> ApiError:
        with self.assertRaises(ApiError) as caught:
            check_relative(text)
        return caught.exception

    def test_clean_paths_are_normalised(self) -> None:
        self.assertEqual(check_relative("a//b/./c.gcode"), "a/b/c.gcode")
        self.assertEqual(check_relative(""), "")
        self.assertEqual(check_relative("my file ü.gcode"), "my file ü.gcode")

    def test_dot_dot_segment_is_400(self) -> None:
        for text in ("..", "../config/printer.cfg", "a/../../b", "a/.."):
            self.assertEqual(self.refused(text).status, 400, text)

    def test_absolute_path_is_400(self) -> None:
        error = self.refused("/etc/passwd")
        self.assertEqual(error.status, 400)
        self.assertIn("absolute", error.message)

    def test_nul_byte_is_400(self) -> None:
        self.assertEqual(self.refused("a\x00b.gcode").status, 400)

    def test_over_long_name_is_400(self) -> None:
        self.assertEqual(self.refused("x" * 256).status, 400)
        self.assertEqual(check_relative("x" * 255), "x" * 255)

    def test_over_long_path_is_400(self) -> None:
        self.assertEqual(self.refused("/".join(["d" * 200] * 25)).status, 400)

    def test_name_longer_in_utf8_bytes_than_255_is_400(self) -> None:
        self.assertEqual(self.refused("ü" * 128).status, 400)

    def test_git_folder_is_403(self) -> None:
        error = self.refused("klipper/.git/config")
        self.assertEqual((error.status, error.message), (403, "Access to .git folders is forbidden"))

    def test_reserved_and_internal_names_are_403(self) -> None:
        self.assertEqual(self.refused(".moonraker").status, 403)
        self.assertEqual(self.refused("a/.moontwist-upload-x.part").status, 403)


class RootTableTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.base = Path(self.mktemp()).resolve()
        self.gcodes = self.base / "gcodes"
        self.config = self.base / "config"
        self.database = self.base / "database"
        for folder in (self.gcodes, self.config, self.database):
            folder.mkdir(parents=True)
        self.table = RootTable()
        self.table.add(Root("gcodes", self.gcodes, True))
        self.table.add(Root("config", self.config, True))
        self.table.add(Root("logs", self.base, False))
        self.table.reserve(self.database, "database")

    def test_locate_splits_root_and_tolerates_a_leading_slash(self) -> None:
        location = self.table.locate("/gcodes/sub/a.gcode")
        self.assertEqual((location.root.name, location.relative), ("gcodes", "sub/a.gcode"))
        self.assertEqual(location.path, self.gcodes / "sub" / "a.gcode")

    def test_unknown_root_is_400(self) -> None:
        with self.assertRaises(ApiError) as caught:
            self.table.locate("etc/passwd")
        self.assertEqual((caught.exception.status, caught.exception.message), (400, "Invalid root path (etc)"))

    def test_symlink_out_of_root_is_403(self) -> None:
        os.symlink("/etc", self.gcodes / "escape")
        with self.assertRaises(ApiError) as caught:
            self.table.check(self.table.locate("gcodes/escape/passwd"))
        self.assertEqual(caught.exception.status, 403)

    def test_symlink_inside_root_is_allowed(self) -> None:
        (self.gcodes / "real").mkdir()
        os.symlink(self.gcodes / "real", self.gcodes / "alias")
        location = self.table.check(self.table.locate("gcodes/alias/a.gcode"), write=True)
        self.assertEqual(location.relative, "alias/a.gcode")

    def test_reserved_path_is_403_even_inside_a_root(self) -> None:
        with self.assertRaises(ApiError) as caught:
            self.table.check(self.table.locate("logs/database/data.mdb"))
        self.assertEqual(caught.exception.status, 403)
        self.assertIn("forbidden by reserved path 'database'", caught.exception.message)

    def test_the_deepest_reserved_path_decides(self) -> None:
        # The simulator's Klipper folder (readable) inside our source folder (not readable).
        source = self.base / "source"
        (source / "klipper" / "config").mkdir(parents=True)
        self.table.add(Root("config_examples", source / "klipper" / "config", False))
        self.table.add(Root("sources", source, False))
        self.table.reserve(source, "moonraker")
        self.table.reserve(source / "elsewhere", "klipper", readable=True)
        self.table.reserve(source / "klipper", "klipper", readable=True)
        location = self.table.check(self.table.locate("config_examples/printer.cfg"))
        self.assertEqual(location.relative, "printer.cfg")
        with self.assertRaises(ApiError) as caught:
            self.table.check(self.table.locate("config_examples/printer.cfg"), write=True)
        self.assertIn("forbidden by reserved path 'klipper'", caught.exception.message)
        for elsewhere in ("sources/app.py", "sources/elsewhere/a.cfg"):
            with self.assertRaises(ApiError) as caught:
                self.table.check(self.table.locate(elsewhere))
            self.assertIn("forbidden by reserved path 'moonraker'", caught.exception.message)

    def test_write_to_read_only_root_is_403(self) -> None:
        self.table.check(self.table.locate("logs/klippy.log"))
        with self.assertRaises(ApiError) as caught:
            self.table.check(self.table.locate("logs/klippy.log"), write=True)
        self.assertEqual(caught.exception.status, 403)

    def test_owner_of_prefers_the_deepest_root(self) -> None:
        owner = self.table.owner_of(str(self.gcodes / "a.gcode"))
        self.assertEqual(owner, Location(self.table.root("gcodes"), "a.gcode"))
        self.assertIsNone(self.table.owner_of("/elsewhere/a.gcode"))

    def test_reserved_under_lists_reserved_paths_inside_a_root(self) -> None:
        self.assertEqual(self.table.reserved_under(self.table.root("logs")), {str(self.database)})
        self.assertEqual(self.table.reserved_under(self.table.root("gcodes")), set())
