"""Walks and listings on real temp folders."""

from __future__ import annotations

import os
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.files.paths import Location, Root
from moontwist.services.files.walk import list_directory, walk_dirs, walk_files


class WalkTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.base = Path(self.mktemp()).resolve()
        self.root_path = self.base / "gcodes"
        (self.root_path / "sub" / "deeper").mkdir(parents=True)
        (self.root_path / ".git" / "objects").mkdir(parents=True)
        (self.root_path / ".thumbs").mkdir()
        for name in ("b.gcode", "a.GCO", "notes.txt", "sub/c.g", "sub/deeper/d.ufp", ".git/objects/x.gcode",
                     ".thumbs/a-32x32.png", ".moontwist-upload-1.part"):
            (self.root_path / name).write_bytes(b"G1\n")
        self.root = Root("gcodes", self.root_path, True)

    def paths(self, **kwargs: object) -> list[str]:
        return [item["path"] for item in walk_files(self.root, **kwargs)]  # type: ignore[arg-type]

    def test_gcode_walk_lists_gcode_extensions_sorted_without_git_or_internal_files(self) -> None:
        self.assertEqual(self.paths(gcode_only=True), ["a.GCO", "b.gcode", "sub/c.g", "sub/deeper/d.ufp"])

    def test_full_walk_lists_every_file_but_git_and_internal(self) -> None:
        self.assertEqual(self.paths(), [".thumbs/a-32x32.png", "a.GCO", "b.gcode", "notes.txt", "sub/c.g",
                                        "sub/deeper/d.ufp"])

    def test_items_carry_size_modified_and_permissions(self) -> None:
        item = walk_files(self.root, gcode_only=True)[1]
        self.assertEqual((item["size"], item["permissions"]), (3, "rw"))
        self.assertIsInstance(item["modified"], float)

    def test_walk_from_a_subfolder(self) -> None:
        self.assertEqual(self.paths(start="sub"), ["sub/c.g", "sub/deeper/d.ufp"])

    def test_symlinks_out_of_the_root_are_skipped_and_loops_cut(self) -> None:
        outside = self.base / "outside"
        outside.mkdir()
        (outside / "secret.gcode").write_bytes(b"G1\n")
        os.symlink(outside, self.root_path / "escape")
        os.symlink(self.root_path, self.root_path / "sub" / "loop")
        os.symlink(self.root_path / "b.gcode", self.root_path / "link.gcode")
        items = {item["path"]: item for item in walk_files(self.root, gcode_only=True)}
        self.assertNotIn("escape/secret.gcode", items)
        self.assertEqual(items["link.gcode"]["permissions"], "r")
        self.assertEqual(sorted(items), ["a.GCO", "b.gcode", "link.gcode", "sub/c.g", "sub/deeper/d.ufp"])

    def test_skipped_folders_are_not_entered(self) -> None:
        self.assertEqual(self.paths(gcode_only=True, skip={str(self.root_path / "sub")}), ["a.GCO", "b.gcode"])

    def test_walk_dirs_finds_folders_but_not_git(self) -> None:
        found = walk_dirs(str(self.root_path))
        self.assertEqual(sorted(os.path.relpath(f, self.root_path) for f in found),
                         [".", ".thumbs", "sub", "sub/deeper"])

    def test_list_directory_is_one_level_with_dirs_and_files(self) -> None:
        listing = list_directory(Location(self.root, ""))
        self.assertEqual([d["dirname"] for d in listing["dirs"]], [".git", ".thumbs", "sub"])
        self.assertEqual([f["filename"] for f in listing["files"]], ["a.GCO", "b.gcode", "notes.txt"])
        self.assertEqual(listing["dirs"][0]["permissions"], "")
        self.assertEqual(set(listing["files"][0]), {"filename", "modified", "size", "permissions"})
