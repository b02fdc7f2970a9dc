"""The release folder as a crash leaves it after each step, and how the next start settles it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.update_manager.releases import ReleaseFolder
from tests.services.machine.helpers import temp_dir


def bundle(path: Path, files: dict[str, str]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    path.write_bytes(buffer.getvalue())
    return path


class ReleaseFolderTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.root = temp_dir(self)
        self.path = self.root / "fluidd"
        self.path.mkdir()
        (self.path / "index.html").write_text("v1")
        (self.path / "config.json").write_text("mine")
        self.folder = ReleaseFolder(self.path)

    def test_killed_while_unpacking_leaves_the_old_folder_and_no_partial(self) -> None:
        partial = self.folder.releases / "v2.partial"
        partial.mkdir(parents=True)
        (partial / "index.html").write_text("half")
        self.folder.settle(["v1"])
        self.assertFalse(partial.exists())
        self.assertEqual((self.path / "index.html").read_text(), "v1")

    def test_killed_between_adopting_and_linking_relinks_the_old_version(self) -> None:
        self.folder.releases.mkdir()
        self.path.rename(self.folder.release("v1"))
        self.folder.settle(["v1", "v2"])
        self.assertTrue(self.path.is_symlink())
        self.assertEqual((self.path / "index.html").read_text(), "v1")

    def test_an_unpacked_release_not_yet_linked_leaves_the_old_one_served(self) -> None:
        self.folder.adopt("v1")
        archive = bundle(self.root / "a.zip", {"index.html": "v2"})
        self.folder.unpack(archive, "v2", ["config.json"])
        self.folder.settle(["v1"])
        self.assertEqual((self.path / "index.html").read_text(), "v1")
        self.folder.switch("v2")
        self.assertEqual((self.path / "index.html").read_text(), "v2")
        self.assertEqual((self.path / "config.json").read_text(), "mine")
        self.assertEqual(self.folder.current(), "v2")

    def test_an_archive_member_escaping_its_folder_is_refused(self) -> None:
        archive = bundle(self.root / "evil.zip", {"../../evil.txt": "x"})
        with self.assertRaises(ValueError):
            self.folder.unpack(archive, "v2", [])
        self.assertFalse((self.root / "evil.txt").exists())
