"""Every field each supported slicer's sample file yields, and who wins identification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.metadata import extract
from moontwist.metadata.reader import GcodeText
from moontwist.metadata.slicers import identify

from .helpers import command_bounds, sample

# Fields every sample has whatever the slicer: checked in test_extract.
_COMMON = ("size", "modified", "uuid", "filename", "print_start_time", "job_id")

EXPECTED: dict[str, dict[str, Any]] = {
    "prusaslicer": {
        "extruder_colors": [],
        "slicer": "PrusaSlicer",
        "slicer_version": "2.7.1+linux-x64-GTK3",
        "layer_height": 0.15,
        "first_layer_height": 0.2,
        "object_height": 20.2,
        "filament_total": 1335.0,
        "filament_weights": [3.68, 0.3],
        "filament_weight_total": 3.98,
        "filament_type": '["PLA", "PETG"]',
        "filament_name": '["Prusament PLA", "Prusament PETG"]',
        "filament_colors": ["#FF8000", "#0000FF"],
        "filament_temps": [215, 240],
        "referenced_tools": [0, 1],
        "filament_change_count": 3,
        "mmu_print": 0,
        "nozzle_diameter": 0.4,
        "estimated_time": 3723.0,
        "first_layer_extr_temp": 215.0,
        "first_layer_bed_temp": 60.0,
        "chamber_temp": 0.0,
        "printer_model": "MK4",
        "printer_variant": "0.4",
    },
    "superslicer": {
        "referenced_tools": [],
        "slicer": "SuperSlicer",
        "slicer_version": "2.5.59.2",
        "layer_height": 0.2,
        "first_layer_height": 0.15,
        "object_height": 12.35,
        "filament_total": 5000.25,
        "filament_weights": [12.63],
        "filament_weight_total": 12.63,
        "filament_type": "ABS",
        "filament_name": "Generic ABS",
        "filament_colors": ["#29B2B2"],
        "extruder_colors": ["#FF0000"],
        "filament_temps": [245],
        "mmu_print": 0,
        "nozzle_diameter": 0.6,
        "estimated_time": 93784.0,
        "layer_count": 100,
        "first_layer_extr_temp": 250.0,
        "first_layer_bed_temp": 100.0,
        "chamber_temp": 45.0,
        "printer_vendor": "Voron",
        "printer_model": "Voron_v2_350",
        "printer_variant": "0.6",
        "profile_version": "2.3",
    },
    "orcaslicer": {
        "extruder_colors": [],
        "referenced_tools": [],
        "slicer": "OrcaSlicer",
        "slicer_version": "2.1.1",
        "layer_height": 0.2,
        "first_layer_height": 0.25,
        "object_height": 17.2,
        "filament_total": 802.71,
        "filament_weights": [2.45],
        "filament_weight_total": 2.45,
        "filament_type": "PETG",
        "filament_name": "Generic PETG @System",
        "filament_colors": ["#00AE42"],
        "filament_temps": [210],
        "filament_change_count": 0,
        "mmu_print": 1,
        "nozzle_diameter": 0.4,
        "estimated_time": 1421.0,
        "layer_count": 86,
        "first_layer_extr_temp": 220.0,
        "first_layer_bed_temp": 65.0,
        "chamber_temp": 0.0,
    },
    "bambustudio": {
        "extruder_colors": [],
        "referenced_tools": [],
        "slicer": "BambuStudio",
        "slicer_version": "01.10.01.50",
        "layer_height": 0.2,
        "first_layer_height": 0.2,
        "object_height": 17.2,
        "filament_total": 813.0,
        "filament_weight_total": 2.48,
        "filament_type": '["PLA", "PLA"]',
        "filament_name": '["Bambu PLA Basic @BBL X1C", "Bambu PLA Matte @BBL X1C"]',
        "filament_colors": ["#FFFFFF", "#000000"],
        "filament_temps": [220, 230],
        "nozzle_diameter": 0.4,
        "estimated_time": 1421.0,
        "layer_count": 86,
        "first_layer_extr_temp": 220.0,
        "first_layer_bed_temp": 35.0,
        "chamber_temp": 0.0,
    },
    "slic3r_pe": {
        "filament_colors": [],
        "extruder_colors": [],
        "filament_temps": [],
        "referenced_tools": [],
        "slicer": "Slic3r PE",
        "slicer_version": "1.41.3+linux64",
        "layer_height": 0.2,
        "first_layer_height": 0.3,
        "object_height": 10.3,
        "filament_total": 1234.5,
        "filament_type": "PLA",
        "filament_name": "Generic PLA",
        "nozzle_diameter": 0.4,
        "estimated_time": 3924.0,
        "first_layer_extr_temp": 210.0,
        "first_layer_bed_temp": 60.0,
    },
    "slic3r": {
        "filament_colors": [],
        "extruder_colors": [],
        "filament_temps": [],
        "referenced_tools": [],
        "slicer": "Slic3r",
        "slicer_version": "1.3.0",
        "layer_height": 0.25,
        "first_layer_height": 0.35,
        "object_height": 8.35,
        "filament_total": 500.0,
        "filament_type": "PETG",
        "nozzle_diameter": 0.5,
        "first_layer_extr_temp": 205.0,
        "first_layer_bed_temp": 55.0,
    },
    "cura": {
        "slicer": "Cura",
        "slicer_version": "5.4.0",
        "layer_height": 0.2,
        "first_layer_height": 0.3,
        "object_height": 48.2,
        "filament_total": 1781.33,
        "filament_weights": [4.71, 0.6],
        "filament_weight_total": 5.31,
        "filament_type": "PLA",
        "filament_name": "Generic PLA",
        "estimated_time": 6642.0,
        "layer_count": 240,
        "nozzle_diameter": 0.4,
        "first_layer_extr_temp": 200.0,
        "first_layer_bed_temp": 60.0,
    },
    "simplify3d_v4": {
        "slicer": "Simplify3D",
        "slicer_version": "4.1.2",
        "layer_height": 0.2,
        "first_layer_height": 0.3,
        "object_height": 24.1,
        "filament_total": 1234.5,
        "filament_weight_total": 3.68,
        "estimated_time": 3720.0,
        "nozzle_diameter": 0.4,
        "first_layer_extr_temp": 210.0,
        "first_layer_bed_temp": 60.0,
    },
    "simplify3d_v5": {
        "slicer": "Simplify3D",
        "slicer_version": "5.1.2",
        "layer_height": 0.25,
        "first_layer_height": 0.25,
        "object_height": 10.0,
        "filament_total": 120.0,
        "filament_weight_total": 2.5,
        "estimated_time": 3723.0,
        "nozzle_diameter": 0.6,
        "first_layer_extr_temp": 220.0,
        "first_layer_bed_temp": 65.0,
        "chamber_temp": 40.0,
    },
    "kisslicer": {
        "slicer": "KISSlicer",
        "slicer_version": "1.6.3-Release-Linux64",
        "layer_height": 0.2,
        "first_layer_height": 0.3,
        "object_height": 10.1,
        "filament_total": 1334.5,
        "estimated_time": 5775.6,
        "first_layer_extr_temp": 215.0,
        "first_layer_bed_temp": 60.0,
        "chamber_temp": 35.0,
    },
    "ideamaker": {
        "slicer": "IdeaMaker",
        "slicer_version": "4.2.1.5265",
        "first_layer_height": 0.3,
        "layer_height": 0.2,
        "object_height": 25.5,
        "nozzle_diameter": 0.4,
        "filament_total": 1000.0,
        # 1000 mm of 1.75 mm filament at 1240 kg/m³.
        "filament_weight_total": 2.98,
        "filament_type": "PLA",
        "filament_name": "[Raise3D] PLA",
        "estimated_time": 3600.5,
        "first_layer_extr_temp": 210.0,
        "first_layer_bed_temp": 60.0,
        "chamber_temp": 45.0,
    },
    "icesl": {
        "slicer": "IceSL",
        "slicer_version": "2.4.1",
        "first_layer_height": 0.3,
        "layer_height": 0.2,
        "nozzle_diameter": 0.4,
        "first_layer_extr_temp": 210.0,
        "first_layer_bed_temp": 60.0,
        "chamber_temp": 40.0,
        "filament_total": 1200.5,
        "filament_weight_total": 4.5,
        "estimated_time": 1500.0,
        "filament_name": "Ice PLA",
        "filament_type": "PLA",
        "layer_count": 100,
        "object_height": 20.25,
    },
    "kirimoto": {
        "slicer": "Kiri:Moto",
        "slicer_version": "3.8.2",
        "first_layer_height": 0.3,
        "layer_height": 0.2,
        "first_layer_extr_temp": 215.0,
        "first_layer_bed_temp": 60.0,
        "filament_total": 1200.5,
        "estimated_time": 3600.0,
        "object_height": 10.3,
    },
    "unknown": {
        "slicer": "Unknown",
        "slicer_version": "?",
        "first_layer_height": 0.25,
        "object_height": 5.05,
        "first_layer_extr_temp": 230.0,
        "first_layer_bed_temp": 65.0,
    },
}


class SampleTests(SynchronousTestCase):
    """Each sample, written from its slicer's documented comments, yields every field."""

    def assertSampleFields(self, name: str) -> None:
        data = sample(name)
        directory = Path(self.mktemp())
        directory.mkdir()
        path = directory / f"{name}.gcode"
        path.write_bytes(data)
        metadata = extract(path, path.name)
        for key in _COMMON:
            metadata.pop(key)
        self.assertEqual(metadata.pop("file_processors"), [])
        start, end = command_bounds(data)
        expected = dict(EXPECTED[name], gcode_start_byte=start, gcode_end_byte=end)
        self.assertEqual(metadata, expected)

    def test_prusaslicer_fields(self) -> None:
        self.assertSampleFields("prusaslicer")

    def test_superslicer_fields_with_percent_first_layer(self) -> None:
        self.assertSampleFields("superslicer")

    def test_orcaslicer_fields_use_the_plate_type_bed_temperature(self) -> None:
        self.assertSampleFields("orcaslicer")

    def test_bambustudio_fields_come_from_the_header_block(self) -> None:
        self.assertSampleFields("bambustudio")

    def test_slic3r_pe_fields(self) -> None:
        self.assertSampleFields("slic3r_pe")

    def test_slic3r_fields(self) -> None:
        self.assertSampleFields("slic3r")

    def test_cura_fields_convert_metres_to_millimetres(self) -> None:
        self.assertSampleFields("cura")

    def test_simplify3d_v4_fields_use_heater_lists(self) -> None:
        self.assertSampleFields("simplify3d_v4")

    def test_simplify3d_v5_fields_use_controller_blocks(self) -> None:
        self.assertSampleFields("simplify3d_v5")

    def test_kisslicer_fields(self) -> None:
        self.assertSampleFields("kisslicer")

    def test_ideamaker_fields_compute_weight_from_density(self) -> None:
        self.assertSampleFields("ideamaker")

    def test_icesl_fields(self) -> None:
        self.assertSampleFields("icesl")

    def test_kirimoto_fields(self) -> None:
        self.assertSampleFields("kirimoto")

    def test_unknown_slicer_falls_back_to_moves_and_heater_commands(self) -> None:
        self.assertSampleFields("unknown")


def _identify(head: str) -> tuple[str, str]:
    found = identify(head)
    return found.name, found.version


class IdentificationTests(SynchronousTestCase):
    """The first slicer in Moonraker's order that recognises the head wins."""

    def test_every_sample_is_identified_as_its_slicer(self) -> None:
        for name, fields in EXPECTED.items():
            head = sample(name).decode()
            self.assertEqual(_identify(head), (fields["slicer"], fields["slicer_version"]), name)

    def test_slic3r_prusa_edition_wins_over_the_prusaslicer_fallback(self) -> None:
        head = "; generated by Slic3r Prusa Edition 1.41.0 on 2018-10-01 at 10:00:00\n"
        self.assertEqual(_identify(head), ("Slic3r PE", "1.41.0"))

    def test_bambustudio_wins_over_a_generated_by_line(self) -> None:
        head = (
            "; BambuStudio 01.09.00.70\n"
            "; generated by OrcaSlicer 2.0.0 on 2024-01-01 at 10:00:00\n"
        )
        self.assertEqual(_identify(head), ("BambuStudio", "01.09.00.70"))

    def test_prusaslicer_family_wins_over_cura(self) -> None:
        head = (
            "; generated by PrusaSlicer 2.6.0 on 2023-06-01 at 10:00:00 UTC\n"
            ";Generated with Cura_SteamEngine 5.0.0\n"
        )
        self.assertEqual(_identify(head), ("PrusaSlicer", "2.6.0"))

    def test_fork_name_is_taken_from_the_file(self) -> None:
        head = "; generated by QIDISlicer 1.1.0 on 2024-02-02 at 02:02:02 UTC\n"
        self.assertEqual(_identify(head), ("QIDISlicer", "1.1.0"))

    def test_known_fork_without_a_date_is_recognised(self) -> None:
        head = "; MomentSlicer 1.0.3 on a rainy day\n"
        self.assertEqual(_identify(head), ("MomentSlicer", "1.0.3"))

    def test_simplyprint_build_of_kirimoto(self) -> None:
        head = "; Generated by Kiri:Moto (SimplyPrint) 3.9.1\n"
        self.assertEqual(_identify(head), ("SimplyPrint", "3.9.1"))

    def test_kisslicer_without_a_version_line(self) -> None:
        self.assertEqual(_identify("; KISSlicer - PRO\n"), ("KISSlicer", "?"))

    def test_nothing_recognised_is_unknown(self) -> None:
        self.assertEqual(_identify("G28\nG1 Z1\n"), ("Unknown", "?"))


class ValueEdgeTests(SynchronousTestCase):
    """Settings that are absent, empty or odd are omitted, never guessed."""

    def parse(self, text: str) -> dict[str, Any]:
        found = identify(text)
        return found.parse(GcodeText(text, text, None, None))

    def test_percent_first_layer_without_layer_height_is_omitted(self) -> None:
        fields = self.parse(
            "; generated by PrusaSlicer 2.6.0 on 2023-06-01 at 10:00:00 UTC\n"
            "; first_layer_height = 50%\n"
        )
        self.assertNotIn("first_layer_height", fields)

    def test_non_numeric_values_are_omitted(self) -> None:
        fields = self.parse(
            "; generated by PrusaSlicer 2.6.0 on 2023-06-01 at 10:00:00 UTC\n"
            "; layer_height = nil\n; nozzle_diameter = \n; total layers count = many\n"
        )
        self.assertEqual(fields, {"filament_colors": [], "extruder_colors": [], "filament_temps": [],
                                  "referenced_tools": []})

    def test_tool_lists_are_whole_numbers_or_left_out_as_moonraker_does(self) -> None:
        fields = self.parse(
            "; generated by PrusaSlicer 2.6.0 on 2023-06-01 at 10:00:00 UTC\n"
            "; temperature = 215.5,240\n; referenced_tools = 0,2\n; filament_colour = ;#00FF00\n"
        )
        self.assertEqual((fields.get("filament_temps"), fields["referenced_tools"], fields["filament_colors"]),
                         (None, [0, 2], ["#00FF00"]))

    def test_quoted_names_keep_semicolons_and_escaped_quotes(self) -> None:
        fields = self.parse(
            "; generated by PrusaSlicer 2.6.0 on 2023-06-01 at 10:00:00 UTC\n"
            '; filament_settings_id = "Silk; shiny";"Say \\"hi\\""\n'
        )
        self.assertEqual(fields["filament_name"], '["Silk; shiny", "Say \\"hi\\""]')

    def test_cura_time_elapsed_is_not_the_estimate(self) -> None:
        fields = self.parse(";Generated with Cura_SteamEngine 5.4.0\n;TIME_ELAPSED:12.5\n")
        self.assertNotIn("estimated_time", fields)
