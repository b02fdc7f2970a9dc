"""inotify bursts folded into whole changes, driven by a Clock."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.files.coalesce import MOVE_WAIT, QUIET, Change, Coalescer


class CoalescerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.emitted: list[list[Change]] = []
        self.coalescer = Coalescer(self.clock, self.emitted.append)

    def settle(self) -> list[Change]:
        self.clock.advance(MOVE_WAIT + QUIET)
        return [change for batch in self.emitted for change in batch]

    def test_nothing_is_emitted_while_the_burst_goes_on(self) -> None:
        for index in range(10):
            self.coalescer.created(f"/g/f{index}", False)
            self.coalescer.closed_write(f"/g/f{index}")
            self.clock.advance(QUIET / 2)
        self.assertEqual(self.emitted, [])
        self.clock.advance(QUIET)
        self.assertEqual(len(self.emitted), 1)
        self.assertEqual(len(self.emitted[0]), 10)

    def test_new_file_closed_after_writing_is_create_file(self) -> None:
        self.coalescer.created("/g/a.gcode", False)
        self.coalescer.closed_write("/g/a.gcode")
        self.assertEqual(self.settle(), [Change("create_file", "/g/a.gcode")])

    def test_rewritten_file_is_one_modify_file(self) -> None:
        self.coalescer.closed_write("/g/a.gcode")
        self.coalescer.closed_write("/g/a.gcode")
        self.assertEqual(self.settle(), [Change("modify_file", "/g/a.gcode")])

    def test_moved_from_then_moved_to_is_a_move(self) -> None:
        self.coalescer.moved_from("/g/a.gcode", False)
        self.coalescer.moved_to("/g/sub/a.gcode", False)
        self.assertEqual(self.settle(), [Change("move_file", "/g/sub/a.gcode", "/g/a.gcode")])

    def test_folder_move_is_one_move_dir(self) -> None:
        self.coalescer.moved_from("/g/old", True)
        self.coalescer.moved_to("/g/new", True)
        self.assertEqual(self.settle(), [Change("move_dir", "/g/new", "/g/old")])

    def test_moved_from_alone_becomes_delete_after_the_wait(self) -> None:
        self.coalescer.moved_from("/g/a.gcode", False)
        self.clock.advance(QUIET)
        self.assertEqual(self.emitted, [])
        self.clock.advance(MOVE_WAIT)
        self.assertEqual(self.emitted, [[Change("delete_file", "/g/a.gcode")]])

    def test_moved_to_alone_is_a_creation(self) -> None:
        self.coalescer.moved_to("/g/in", True)
        self.assertEqual(self.settle(), [Change("create_dir", "/g/in")])

    def test_deleted_tree_is_one_delete_dir(self) -> None:
        for name in ("/g/t/a", "/g/t/b", "/g/t/sub/c"):
            self.coalescer.deleted(name, False)
        self.coalescer.deleted("/g/t/sub", True)
        self.coalescer.deleted("/g/t", True)
        self.assertEqual(self.settle(), [Change("delete_dir", "/g/t")])

    def test_copied_tree_is_one_create_dir(self) -> None:
        self.coalescer.created("/g/t", True)
        self.coalescer.created("/g/t/sub", True)
        self.coalescer.created("/g/t/sub/a.gcode", False)
        self.coalescer.closed_write("/g/t/sub/a.gcode")
        self.assertEqual(self.settle(), [Change("create_dir", "/g/t")])

    def test_file_created_and_deleted_in_one_burst_is_not_announced(self) -> None:
        self.coalescer.created("/g/.swap", False)
        self.coalescer.closed_write("/g/.swap")
        self.coalescer.deleted("/g/.swap", False)
        self.coalescer.closed_write("/g/b")
        self.assertEqual(self.settle(), [Change("modify_file", "/g/b")])

    def test_file_moved_in_then_deleted_is_deleted_at_its_source(self) -> None:
        self.coalescer.moved_from("/g/a", False)
        self.coalescer.moved_to("/g/b", False)
        self.coalescer.deleted("/g/b", False)
        self.assertEqual(self.settle(), [Change("delete_file", "/g/a")])

    def test_replaced_file_is_a_modification(self) -> None:
        self.coalescer.deleted("/g/a", False)
        self.coalescer.created("/g/a", False)
        self.coalescer.closed_write("/g/a")
        self.assertEqual(self.settle(), [Change("modify_file", "/g/a")])

    def test_two_renames_in_a_row_pair_in_order(self) -> None:
        self.coalescer.moved_from("/g/a", False)
        self.coalescer.moved_to("/g/b", False)
        self.coalescer.moved_from("/g/c", False)
        self.coalescer.moved_to("/g/d", False)
        self.assertEqual(self.settle(), [Change("move_file", "/g/b", "/g/a"), Change("move_file", "/g/d", "/g/c")])

    def test_cancel_stops_the_timer(self) -> None:
        self.coalescer.closed_write("/g/a")
        self.coalescer.cancel()
        self.assertEqual(self.clock.getDelayedCalls(), [])
