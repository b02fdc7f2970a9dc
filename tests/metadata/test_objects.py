"""Object processing with preprocess-cancellation on slicer G-code that labels its objects."""

from __future__ import annotations

import logging
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.metadata import extract
from moontwist.metadata.objects import (
    PROCESSOR_NAME, ObjectProcessingUnavailable, choose_processor, load_processor_module, process_objects,
)
from moontwist.services.files.operations import replacing
from tests.metadata.helpers import SAMPLES, sample

def hide_processor_package(test: Any) -> None:
    """Make ``import preprocess_cancellation`` fail until the test ends."""
    installed = sys.modules.get("preprocess_cancellation")
    sys.modules["preprocess_cancellation"] = None  # type: ignore[assignment]

    def restore() -> None:
        if installed is None:
            sys.modules.pop("preprocess_cancellation", None)
        else:
            sys.modules["preprocess_cancellation"] = installed

    test.addCleanup(restore)


DEFINED = re.compile(r"^EXCLUDE_OBJECT_DEFINE NAME=(\S+)", re.MULTILINE)


class ChoiceTests(SynchronousTestCase):
    def test_each_slicer_family_gets_its_processor(self) -> None:
        expected = {
            "prusaslicer_objects": "preprocess_slicer",
            "cura_objects": "preprocess_cura",
            "ideamaker_objects": "preprocess_ideamaker",
            "simplify3d_m486": "preprocess_m486",
        }
        for name, processor in expected.items():
            self.assertEqual(choose_processor(sample(name).decode()), processor, name)

    def test_files_without_object_labels_are_left_alone(self) -> None:
        for name in ("prusaslicer", "cura", "ideamaker", "simplify3d_v5", "kisslicer", "unknown"):
            self.assertIsNone(choose_processor(sample(name).decode()), name)

    def test_a_cura_marker_in_a_prusaslicer_file_is_not_an_object(self) -> None:
        text = sample("prusaslicer").decode().replace("G28 ; home all\n", "G28 ; home all\n;MESH:cube.stl\n")
        self.assertIsNone(choose_processor(text))


class ProcessingTests(SynchronousTestCase):
    def copy(self, name: str) -> Path:
        folder = Path(self.mktemp())
        folder.mkdir()
        path = folder / "plate.gcode"
        shutil.copyfile(SAMPLES / f"{name}.gcode", path)
        return path

    def assert_processed(self, name: str, objects: list[str]) -> str:
        path = self.copy(name)
        self.assertTrue(process_objects(path, replacing))
        text = path.read_text()
        self.assertEqual(DEFINED.findall(text), objects)
        for object_name in objects:
            self.assertEqual(text.count(f"EXCLUDE_OBJECT_START NAME={object_name}\n"), 2)
            self.assertEqual(text.count(f"EXCLUDE_OBJECT_END NAME={object_name}\n"), 2)
        self.assertEqual([child.name for child in path.parent.iterdir()], ["plate.gcode"])
        return text

    def test_prusaslicer_objects_are_defined_and_marked(self) -> None:
        self.assert_processed("prusaslicer_objects", ["cube_1_stl_id_0_copy_0", "cylinder_2_stl_id_1_copy_0"])

    def test_cura_meshes_are_defined_and_marked(self) -> None:
        self.assert_processed("cura_objects", ["cube_1_stl", "cylinder_2_stl"])

    def test_ideamaker_objects_are_defined_and_marked(self) -> None:
        self.assert_processed("ideamaker_objects", ["cube_1_stl", "cylinder_2_stl"])

    def test_m486_labels_become_exclude_object_commands(self) -> None:
        text = self.assert_processed("simplify3d_m486", ["0", "1"])
        self.assertNotIn("\nM486", text)

    def test_a_processed_file_is_not_processed_again_and_names_its_processor(self) -> None:
        path = self.copy("prusaslicer_objects")
        process_objects(path, replacing)
        once = path.read_bytes()
        self.assertFalse(process_objects(path, replacing))
        self.assertEqual(path.read_bytes(), once)
        self.assertEqual(extract(path, "plate.gcode")["file_processors"], [PROCESSOR_NAME])

    def test_an_unprocessed_file_has_no_processors(self) -> None:
        self.assertEqual(extract(self.copy("prusaslicer_objects"), "plate.gcode")["file_processors"], [])

    def test_a_file_the_processor_cannot_read_is_left_as_it_was(self) -> None:
        path = self.copy("ideamaker_objects")
        broken = path.read_text().replace(";PRINTING_ID: 1\n", "", 1)
        path.write_text(broken)
        self.assertRaises(Exception, process_objects, path, replacing)
        self.assertEqual(path.read_text(), broken)
        self.assertEqual([child.name for child in path.parent.iterdir()], ["plate.gcode"])

    def test_bytes_that_are_not_utf8_survive_processing(self) -> None:
        path = self.copy("prusaslicer_objects")
        path.write_bytes(path.read_bytes().replace(b"; external perimeters", b"; caf\xe9 perimeters"))
        process_objects(path, replacing)
        self.assertIn(b"; caf\xe9 perimeters", path.read_bytes())


class LoadingTests(SynchronousTestCase):
    def test_loading_the_package_leaves_the_root_logger_as_it_was(self) -> None:
        root = logging.getLogger()
        before = (list(root.handlers), root.level)
        load_processor_module()
        self.assertEqual((list(root.handlers), root.level), before)

    def test_a_missing_package_is_a_clear_error(self) -> None:
        hide_processor_package(self)
        error = self.assertRaises(ObjectProcessingUnavailable, load_processor_module)
        self.assertIn("pip install 'moontwist[objects]'", str(error))
