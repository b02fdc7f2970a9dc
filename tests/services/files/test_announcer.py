"""One notification per change; paths muted while the API changes them."""

from __future__ import annotations

from typing import Any

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.files.announcer import MUTE_WINDOW, Announcer


class AnnouncerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.sent: list[tuple[str, list[Any]]] = []
        self.events: list[tuple[Any, ...]] = []
        self.announcer = Announcer(lambda method, params: self.sent.append((method, params)),
                                   lambda *args: self.events.append(args), self.clock)

    def test_announce_sends_notify_filelist_changed_and_an_event(self) -> None:
        item = {"path": "a.gcode", "root": "gcodes", "size": 1, "modified": 2.0, "permissions": "rw"}
        self.announcer.announce("move_file", item, {"path": "b.gcode", "root": "gcodes"})
        payload = {"action": "move_file", "item": item, "source_item": {"path": "b.gcode", "root": "gcodes"}}
        self.assertEqual(self.sent, [("notify_filelist_changed", [payload])])
        self.assertEqual(self.events, [("filelist_changed", payload)])

    def test_source_item_only_when_given(self) -> None:
        self.announcer.announce("create_dir", {"path": "d"})
        self.assertNotIn("source_item", self.sent[0][1][0])

    def test_muted_path_and_its_children_until_the_window_after_release(self) -> None:
        release = self.announcer.mute("/g/dir")
        self.assertTrue(self.announcer.muted("/g/dir"))
        self.assertTrue(self.announcer.muted("/g/dir/child.gcode"))
        self.assertFalse(self.announcer.muted("/g/directory"))
        release()
        self.clock.advance(MUTE_WINDOW - 0.01)
        self.assertTrue(self.announcer.muted("/g/dir"))
        self.clock.advance(0.02)
        self.assertFalse(self.announcer.muted("/g/dir"))

    def test_overlapping_mutes_count(self) -> None:
        first = self.announcer.mute("/g/a")
        second = self.announcer.mute("/g/a")
        first()
        first()
        self.clock.advance(MUTE_WINDOW)
        self.assertTrue(self.announcer.muted("/g/a"))
        second()
        self.clock.advance(MUTE_WINDOW)
        self.assertFalse(self.announcer.muted("/g/a"))
