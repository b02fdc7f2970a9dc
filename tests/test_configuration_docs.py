"""docs/configuration.md is the rendering of the option tables, and the tables are sound."""

from __future__ import annotations

from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions
from moontwist.config.reference import render
from moontwist.services.catalog import TABLES

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


class ConfigurationDocsTests(SynchronousTestCase):
    def test_document_is_current(self) -> None:
        self.assertEqual(
            DOCUMENT.read_text(encoding="utf-8"), render(TABLES),
            "docs/configuration.md is out of date: run scripts/config-docs",
        )

    def test_every_option_has_one_line_of_help(self) -> None:
        for table in TABLES:
            for option in table.options:
                self.assertTrue(option.help.strip(), f"[{table.section}] {option.name}")
                self.assertNotIn("\n", option.help, f"[{table.section}] {option.name}")

    def test_each_section_is_declared_once(self) -> None:
        sections = [table.title for table in TABLES]
        self.assertEqual(len(sections), len(set(sections)))


class DeclarationTests(SynchronousTestCase):
    def test_unknown_kind_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            Option("x", "color", None, "help")

    def test_option_declared_twice_in_a_table_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            SectionOptions("s", "help", (Option("x", "int", 1, "a"), Option("x", "int", 2, "b")))

    def test_required_option_is_rendered_as_required(self) -> None:
        table = SectionOptions("spoolman", "Spoolman.", (Option("server", "str", MISSING, "URL."),))
        self.assertIn("| `server` | str | required | URL. |", render([table]))
