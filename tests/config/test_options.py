"""What a declaration adds to the getters: comma lists, bare dict keys, defaults known at run time, types."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import MISSING, Section, load_config
from moontwist.config.options import Option, SectionOptions
from tests.config.files import folder, write

CONFIG = """\
[server]
[notifier phone]
events: started, complete,,error
objects:
  toolhead=position,velocity
  webhooks
"""

TABLE = SectionOptions("notifier", "Test.", (
    Option("events", "list", MISSING, "Comma separated.", separator=","),
    Option("objects", "dict", {}, "Bare keys allowed.", empty_fields=True),
    Option("prefix", "str", None, "Known at run time."),
), named=True)


class SectionOptionsTests(SynchronousTestCase):
    def setUp(self) -> None:
        data = folder(self)
        self.config = load_config(write(data, "config/moonraker.conf", CONFIG), data)
        self.section: Section = self.config.section("notifier phone")

    def test_separator_and_empty_fields_reach_the_getters(self) -> None:
        options = TABLE.read(self.section)
        self.assertEqual(options["events"], ["started", "complete", "error"])
        self.assertEqual(options["objects"], {"toolhead": "position,velocity", "webhooks": None})

    def test_run_time_default_is_used_and_shown_but_a_written_value_wins(self) -> None:
        options = TABLE.read(self.section, defaults={"prefix": "printer-1", "events": ["unused"]})
        self.assertEqual(options["prefix"], "printer-1")
        self.assertEqual(options["events"], ["started", "complete", "error"])
        self.assertEqual(self.config.server_config()["config"]["notifier phone"]["prefix"], "printer-1")

    def test_a_type_table_is_titled_with_its_type(self) -> None:
        table = SectionOptions("power", "Tasmota.", (), named=True, variant="tasmota")
        self.assertEqual(table.title, "[power NAME] with `type: tasmota`")
        self.assertEqual(TABLE.title, "[notifier NAME]")
