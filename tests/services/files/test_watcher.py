"""Watch bookkeeping without waiting for events (those are proved in tests/integration)."""

from __future__ import annotations

from pathlib import Path

from twisted.internet import reactor
from twisted.internet.defer import maybeDeferred
from twisted.trial.unittest import TestCase

from moontwist.services.files.coalesce import Coalescer
from moontwist.services.files.watcher import Watcher


class WatcherTests(TestCase):
    def setUp(self) -> None:
        self.top = Path(self.mktemp()).resolve()
        (self.top / "a" / "b").mkdir(parents=True)
        (self.top / ".git" / "objects").mkdir(parents=True)
        (self.top / "reserved").mkdir()
        self.warnings: list[str] = []
        coalescer = Coalescer(reactor, lambda changes: None)
        self.watcher = Watcher(reactor, coalescer, lambda path: True, maybeDeferred,
                               lambda: {str(self.top / "reserved")}, self.warnings.append)
        self.watcher.start()
        self.addCleanup(self.watcher.stop)

    def test_whole_tree_is_watched_but_git_and_skipped_folders(self) -> None:
        self.successResultOf(self.watcher.watch_tree(str(self.top)))
        self.assertEqual(self.watcher.watched, {str(self.top), str(self.top / "a"), str(self.top / "a" / "b")})

    def test_unwatchable_folder_is_one_warning(self) -> None:
        self.successResultOf(self.watcher.watch_tree(str(self.top / "missing")))
        self.successResultOf(self.watcher.watch_tree(str(self.top / "missing-too")))
        self.assertEqual(len(self.warnings), 1)
        self.assertIn("cannot watch", self.warnings[0])
        self.assertEqual(self.watcher.watched, frozenset())

    def test_stop_forgets_every_watch(self) -> None:
        self.successResultOf(self.watcher.watch_tree(str(self.top)))
        self.watcher.stop()
        self.assertEqual(self.watcher.watched, frozenset())
