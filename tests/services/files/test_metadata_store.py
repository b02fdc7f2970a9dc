"""Metadata records: extracted one file at a time, following their files, pruned."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from twisted.internet.defer import maybeDeferred
from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.files.metadata import MemoryRecords, MetadataStore
from tests.metadata.helpers import filtered_png, gradient, sample, thumbnail_block
from tests.services.files.helpers import ManualThreads


def gcode_with_thumbnail() -> bytes:
    block = thumbnail_block(filtered_png(48, 48, gradient(48, 48)), 48, 48)
    return block.encode() + sample("prusaslicer")


class MetadataStoreTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.root = Path(self.mktemp()).resolve()
        (self.root / "sub").mkdir(parents=True)
        self.records = MemoryRecords()
        self.store = MetadataStore(self.records, self.root, maybeDeferred)

    def write(self, relative: str, data: bytes | None = None) -> Path:
        path = self.root / relative
        path.write_bytes(gcode_with_thumbnail() if data is None else data)
        return path

    def test_scan_stores_metadata_and_writes_thumbnails(self) -> None:
        self.write("a.gcode")
        metadata = self.successResultOf(self.store.scan("a.gcode"))
        self.assertEqual(metadata, self.store.get("a.gcode"))
        self.assertEqual((metadata["filename"], metadata["slicer"]), ("a.gcode", "PrusaSlicer"))
        names = sorted(p.name for p in (self.root / ".thumbs").iterdir())
        self.assertEqual(names, ["a-32x32.png", "a-48x48.png"])

    def test_move_takes_record_and_renamed_thumbnails_along(self) -> None:
        self.write("a.gcode")
        self.successResultOf(self.store.scan("a.gcode"))
        os.replace(self.root / "a.gcode", self.root / "sub" / "b.gcode")
        self.successResultOf(self.store.move("a.gcode", "sub/b.gcode"))
        self.assertIsNone(self.store.get("a.gcode"))
        moved = self.store.get("sub/b.gcode")
        assert moved is not None
        self.assertEqual(moved["filename"], "sub/b.gcode")
        self.assertEqual(sorted(t["relative_path"] for t in moved["thumbnails"]),
                         [".thumbs/b-32x32.png", ".thumbs/b-48x48.png"])
        self.assertTrue((self.root / "sub" / ".thumbs" / "b-48x48.png").is_file())
        self.assertFalse((self.root / ".thumbs" / "a-48x48.png").exists())

    def test_remove_forgets_the_record_and_deletes_thumbnails(self) -> None:
        self.write("a.gcode")
        self.successResultOf(self.store.scan("a.gcode"))
        self.successResultOf(self.store.remove("a.gcode"))
        self.assertIsNone(self.store.get("a.gcode"))
        self.assertEqual(list((self.root / ".thumbs").iterdir()), [])

    def test_move_tree_rekeys_every_record_under_the_folder(self) -> None:
        self.write("sub/a.gcode", sample("cura"))
        self.successResultOf(self.store.scan("sub/a.gcode"))
        self.successResultOf(self.store.move_tree("sub", "renamed"))
        self.assertEqual(self.records.keys(), ["renamed/a.gcode"])
        self.assertEqual(self.store.get("renamed/a.gcode")["filename"], "renamed/a.gcode")  # type: ignore[index]

    def test_sync_prunes_the_gone_and_scans_only_new_or_changed_files(self) -> None:
        self.write("kept.gcode", sample("cura"))
        self.successResultOf(self.store.scan("kept.gcode"))
        self.successResultOf(self.records.insert("gone.gcode", {"size": 1, "modified": 1.0}))
        self.write("new.gcode", sample("cura"))
        threads = ManualThreads()
        self.store = MetadataStore(self.records, self.root, threads)
        files = [{"path": name, "size": (self.root / name).stat().st_size,
                  "modified": (self.root / name).stat().st_mtime} for name in ("kept.gcode", "new.gcode")]
        synced = self.store.sync(files)
        self.assertEqual(len(threads.jobs), 1)
        threads.run_all()
        self.successResultOf(synced)
        self.assertEqual(self.records.keys(), ["kept.gcode", "new.gcode"])

    def test_sync_deletes_the_thumbnails_of_files_gone_while_stopped(self) -> None:
        self.write("sub/gone.gcode")
        self.write("sub/kept.gcode")
        self.successResultOf(self.store.scan("sub/gone.gcode"))
        self.successResultOf(self.store.scan("sub/kept.gcode"))
        (self.root / "sub" / "gone.gcode").unlink()
        kept = self.root / "sub" / "kept.gcode"
        self.successResultOf(self.store.sync([{"path": "sub/kept.gcode", "size": kept.stat().st_size,
                                               "modified": kept.stat().st_mtime}]))
        self.assertEqual(self.records.keys(), ["sub/kept.gcode"])
        self.assertEqual(sorted(p.name for p in (self.root / "sub" / ".thumbs").iterdir()),
                         ["kept-32x32.png", "kept-48x48.png"])

    def test_one_extraction_at_a_time_and_repeated_requests_share_it(self) -> None:
        self.write("a.gcode", sample("cura"))
        self.write("b.gcode", sample("cura"))
        threads = ManualThreads()
        store = MetadataStore(self.records, self.root, threads)
        first, again, other = store.scan("a.gcode"), store.scan("a.gcode"), store.scan("b.gcode")
        self.assertEqual(len(threads.jobs), 1)
        threads.run_one()
        self.assertIs(self.successResultOf(first), self.successResultOf(again))
        self.assertNoResult(other)
        threads.run_all()
        self.assertEqual(self.successResultOf(other)["filename"], "b.gcode")

    def test_on_idle_is_called_when_the_queue_runs_dry(self) -> None:
        self.write("a.gcode", sample("cura"))
        self.write("b.gcode", sample("cura"))
        threads = ManualThreads()
        store = MetadataStore(self.records, self.root, threads)
        idle: list[bool] = []
        store.on_idle = lambda: idle.append(True)
        store.scan("a.gcode")
        store.scan("b.gcode")
        threads.run_one()
        self.assertEqual(idle, [])
        threads.run_one()
        self.assertEqual(idle, [True])

    def test_ufp_is_unpacked_and_recorded_as_gcode(self) -> None:
        with zipfile.ZipFile(self.root / "part.ufp", "w") as package:
            package.writestr("/3D/model.gcode", sample("cura"))
        metadata = self.successResultOf(self.store.scan("part.ufp"))
        self.assertEqual(metadata["filename"], "part.gcode")
        self.assertEqual(self.records.keys(), ["part.gcode"])
        self.assertFalse((self.root / "part.ufp").exists())

    def test_stop_drops_queued_extractions(self) -> None:
        self.write("a.gcode", sample("cura"))
        self.write("b.gcode", sample("cura"))
        threads = ManualThreads()
        store = MetadataStore(self.records, self.root, threads)
        store.scan("a.gcode")
        queued = store.scan("b.gcode")
        stopped = store.stop()
        self.assertIsNone(self.successResultOf(queued))
        self.assertNoResult(stopped)
        threads.run_all()
        self.successResultOf(stopped)
        self.assertEqual(self.records.keys(), ["a.gcode"])


class ScanProgressTests(SynchronousTestCase):
    def test_scan_of_many_files_reports_progress_in_the_log(self) -> None:
        lines: list[str] = []

        def observer(event: dict) -> None:
            lines.append(formatEvent(event))

        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        root = Path(self.mktemp()).resolve()
        root.mkdir()
        files = []
        for number in range(60):
            path = root / f"part{number}.gcode"
            path.write_bytes(b"G1 X1\n")
            files.append({"path": path.name, "size": path.stat().st_size, "modified": path.stat().st_mtime})
        store = MetadataStore(MemoryRecords(), root, maybeDeferred, Clock())
        self.successResultOf(store.sync(files))
        progress = [line for line in lines if line.startswith("Metadata of G-code files")]
        self.assertEqual(progress, ["Metadata of G-code files: 60 to do",
                                    "Metadata of G-code files: 60 done in 0.0 s"])
