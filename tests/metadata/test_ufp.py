"""UFP packages are unpacked into a G-code file and a thumbnail, then parsed as usual."""

from __future__ import annotations

import zipfile
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.metadata import UfpError, extract, unpack_ufp
from moontwist.metadata.images import Image
from moontwist.metadata.images.png import encode_png

from .helpers import sample

THUMBNAIL = encode_png(Image(300, 300, b"\x20\x40\x60\xff" * 300 * 300))


class UnpackTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = Path(self.mktemp()).absolute()
        self.directory.mkdir()

    def package(self, members: dict[str, bytes], name: str = "part.ufp") -> Path:
        path = self.directory / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
            for member, data in members.items():
                package.writestr(member, data)
        return path

    def test_model_and_thumbnail_are_unpacked_and_the_package_removed(self) -> None:
        model = sample("cura")
        ufp = self.package({"/3D/model.gcode": model, "/Metadata/thumbnail.png": THUMBNAIL,
                            "/[Content_Types].xml": b"<Types/>"})
        gcode = unpack_ufp(ufp)
        self.assertEqual(gcode, self.directory / "part.gcode")
        self.assertEqual(gcode.read_bytes(), model)
        self.assertEqual((self.directory / ".thumbs" / "part.png").read_bytes(), THUMBNAIL)
        self.assertFalse(ufp.exists())
        self.assertEqual(
            sorted(p.name for p in self.directory.iterdir()), [".thumbs", "part.gcode"])

    def test_unpacked_cura_file_lists_the_package_thumbnail(self) -> None:
        gcode = unpack_ufp(self.package(
            {"3D/model.gcode": sample("cura"), "Metadata/thumbnail.png": THUMBNAIL}))
        metadata = extract(gcode, "part.gcode")
        self.assertEqual(metadata["slicer"], "Cura")
        self.assertEqual([(t["relative_path"], t["width"], t["height"])
                          for t in metadata["thumbnails"]],
                         [(".thumbs/part-32x32.png", 32, 32), (".thumbs/part.png", 300, 300)])

    def test_package_without_thumbnail_gives_only_the_model(self) -> None:
        gcode = unpack_ufp(self.package({"/3D/model.gcode": b"G28\n"}))
        self.assertEqual(gcode.read_bytes(), b"G28\n")
        self.assertFalse((self.directory / ".thumbs").exists())

    def test_unwritable_thumbs_directory_costs_only_the_thumbnail(self) -> None:
        (self.directory / ".thumbs").write_text("a file where the directory should be")
        ufp = self.package({"/3D/model.gcode": b"G28\n", "/Metadata/thumbnail.png": THUMBNAIL})
        self.assertEqual(unpack_ufp(ufp).read_bytes(), b"G28\n")
        self.assertFalse(ufp.exists())

    def test_existing_gcode_is_replaced(self) -> None:
        (self.directory / "part.gcode").write_bytes(b"; old\n")
        gcode = unpack_ufp(self.package({"/3D/model.gcode": b"; new\n"}))
        self.assertEqual(gcode.read_bytes(), b"; new\n")

    def test_symlinked_destination_replaces_the_link_target(self) -> None:
        elsewhere = self.directory / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "real.gcode").write_bytes(b"; old\n")
        (self.directory / "part.gcode").symlink_to(elsewhere / "real.gcode")
        gcode = unpack_ufp(self.package({"/3D/model.gcode": b"; new\n"}))
        self.assertTrue(gcode.is_symlink())
        self.assertEqual((elsewhere / "real.gcode").read_bytes(), b"; new\n")

    def test_package_without_model_is_refused_and_kept(self) -> None:
        ufp = self.package({"/Metadata/thumbnail.png": THUMBNAIL})
        self.assertRaises(UfpError, unpack_ufp, ufp)
        self.assertTrue(ufp.exists())
        self.assertFalse((self.directory / "part.gcode").exists())

    def test_file_that_is_not_a_zip_is_refused_and_kept(self) -> None:
        ufp = self.directory / "part.ufp"
        ufp.write_bytes(b"G28\n")
        self.assertRaises(UfpError, unpack_ufp, ufp)
        self.assertTrue(ufp.exists())
        self.assertEqual([p.name for p in self.directory.iterdir()], ["part.ufp"])
