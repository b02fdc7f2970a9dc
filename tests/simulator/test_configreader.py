"""Reading printer.cfg as Klippy does: comments, includes, the SAVE_CONFIG block."""

from __future__ import annotations

import os

from twisted.trial.unittest import SynchronousTestCase

from moontwist.simulator.config import PrinterConfig
from moontwist.simulator.configreader import ConfigError
from moontwist.simulator.saveconfig import AUTOSAVE_HEADER, comment_out_duplicates, split_autosave


class ReaderTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = self.mktemp()
        os.makedirs(os.path.join(self.folder, "parts", "fans"))

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.folder, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def test_hash_ends_every_line_even_inside_a_value(self) -> None:
        config = PrinterConfig(self.write("printer.cfg", "[Fan]\npin: PA8 # part fan\ncolor: #ff0000\n"))
        self.assertEqual(config.raw, {"Fan": {"pin": "PA8", "color": ""}})

    def test_includes_apply_in_place_sorted_and_relative_to_the_including_file(self) -> None:
        self.write("parts/fans/b.cfg", "[fan]\npin: PB\n")
        self.write("parts/fans/a.cfg", "[fan]\npin: PA\nmax_power: 0.5\n")
        self.write("parts/nested.cfg", "[include fans/*.cfg]\n")
        config = PrinterConfig(self.write("printer.cfg", "[fan]\npin: P0\n[include parts/nested.cfg]\n"
                                                         "[fan]\nmax_power: 0.8\n[include parts/none*.cfg]\n"))
        self.assertEqual(config.raw, {"fan": {"pin": "PB", "max_power": "0.8"}})

    def test_a_missing_include_and_a_recursive_one_are_errors(self) -> None:
        with self.assertRaises(ConfigError) as missing:
            PrinterConfig(self.write("printer.cfg", "[include gone.cfg]\n"))
        self.assertEqual(str(missing.exception), f"Include file '{self.folder}/gone.cfg' does not exist")
        self.write("loop.cfg", "[include printer.cfg]\n")
        with self.assertRaises(ConfigError) as loop:
            PrinterConfig(self.write("printer.cfg", "[include loop.cfg]\n"))
        self.assertIn("Recursive include of config file", str(loop.exception))

    def test_the_block_applies_over_the_file_but_the_users_line_wins(self) -> None:
        text = ("[probe]\nz_offset: 1.0\n[extruder]\n#pid_kp: 1\n" + AUTOSAVE_HEADER
                + "#*# [probe]\n#*# z_offset = 2.0\n#*#\n#*# [extruder]\n#*# pid_kp = 22.5\n")
        config = PrinterConfig(self.write("printer.cfg", text))
        self.assertEqual(config.raw, {"probe": {"z_offset": "1.0"}, "extruder": {"pid_kp": "22.5"}})

    def test_a_damaged_block_is_left_to_the_users_part(self) -> None:
        text = "[fan]\npin: PA8\n" + AUTOSAVE_HEADER + "#*# [probe]\n#*# z_offset = 2.0\nedited: by hand\n"
        self.assertEqual(split_autosave(text), (text, ""))

    def test_save_config_comments_out_the_users_lines_it_replaces(self) -> None:
        block = PrinterConfig(self.write("printer.cfg", AUTOSAVE_HEADER + "#*# [probe]\n#*# z_offset = 2.0\n"))
        regular = "[probe]\npin: PD3\nz_offset: 1.0\n  continued\nspeed: 5\n"
        self.assertEqual(comment_out_duplicates(regular, block.autosave.parser),
                         "[probe]\npin: PD3\n#z_offset: 1.0\n#  continued\nspeed: 5\n")
