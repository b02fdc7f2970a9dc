"""server.files.upload: a received temp file checked and renamed into place."""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO
from typing import Any

from twisted.internet.defer import succeed
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Transport
from moontwist.errors import ApiError
from moontwist.services.files.incoming import IncomingFile
from moontwist.services.files.uploads import UPLOAD_ARGUMENT, Upload
from tests.metadata.helpers import sample
from tests.services.files.helpers import FakeKlippy, FilesUnderTest, start_files


class FakeJobQueue:
    def __init__(self) -> None:
        self.queued: list[str] = []

    def queue_jobs(self, filenames: list[str], check_exists: bool = True) -> Any:
        self.queued.extend(filenames)
        return succeed(True)


class UploadTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.klippy = FakeKlippy()
        self.files = self.start()
        self.gcodes = self.files.data_path / "gcodes"

    def start(self, config: str = "") -> FilesUnderTest:
        return start_files(self, config=config, klippy=self.klippy)

    def received(self, data: bytes, filename: str = "part.gcode", root: str = "gcodes") -> Upload:
        incoming = self.files.service.open_incoming(root)
        incoming.write(data)
        return Upload(filename, self.successResultOf(incoming.finish()))

    def upload(self, data: bytes = b"G1 X1\n", filename: str = "part.gcode", **fields: Any) -> Any:
        upload = self.received(data, filename)
        self.temp = upload.file.path
        return self.files.call("server.files.upload", Transport.HTTP, **{UPLOAD_ARGUMENT: upload, **fields})

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.gcodes.iterdir() if p.name.startswith(".moontwist"))

    def test_upload_answers_with_the_item_and_announces_after_metadata(self) -> None:
        result = self.successResultOf(self.upload(sample("cura"), "my part ü.gcode"))
        self.assertEqual((result["item"]["path"], result["item"]["root"], result["action"]),
                         ("my part ü.gcode", "gcodes", "create_file"))
        self.assertEqual((result["print_started"], result["print_queued"]), (False, False))
        self.assertEqual((self.gcodes / "my part ü.gcode").read_bytes(), sample("cura"))
        self.assertEqual([p["action"] for p in self.files.announced], ["create_file"])
        self.assertEqual(self.files.service.metadata.get("my part ü.gcode")["slicer"], "Cura")  # type: ignore[index]
        self.assertEqual(self.leftovers(), [])

    def test_checksum_match_is_accepted_case_insensitively(self) -> None:
        digest = hashlib.sha256(b"G1 X1\n").hexdigest().upper()
        self.successResultOf(self.upload(checksum=digest))

    def test_checksum_mismatch_is_422_with_no_file_left(self) -> None:
        error = self.failureResultOf(self.upload(checksum="00" * 32), ApiError).value
        self.assertEqual(error.status, 422)
        self.assertIn("File checksum mismatch: expected", error.message)
        self.assertFalse((self.gcodes / "part.gcode").exists())
        self.assertEqual(self.leftovers(), [])

    def test_path_creates_missing_folders_and_announces_the_new_folder(self) -> None:
        result = self.successResultOf(self.upload(path="a/b"))
        self.assertEqual(result["item"]["path"], "a/b/part.gcode")
        self.assertEqual([(p["action"], p["item"]["path"]) for p in self.files.announced],
                         [("create_dir", "a"), ("create_file", "a/b/part.gcode")])

    def test_bad_names_are_refused_with_no_file_left(self) -> None:
        for fields, filename in (({"path": "../config"}, "x.gcode"), ({}, "/etc/x.gcode"), ({}, "a\x00.gcode"),
                                 ({}, "x" * 300), ({}, ".moonraker"), ({"root": "logs"}, "x.log"),
                                 ({"root": "nope"}, "x.gcode")):
            error = self.failureResultOf(self.upload(filename=filename, **fields), ApiError).value
            self.assertIn(error.status, (400, 403), (fields, filename))
        self.assertEqual(sorted(p.name for p in self.gcodes.iterdir()), [])
        self.assertEqual(sorted(p.name for p in (self.files.data_path / "config").iterdir()), ["moonraker.conf"])

    def test_upload_to_config_has_no_print_fields(self) -> None:
        result = self.successResultOf(self.upload(b"[printer]\n", "printer.cfg", root="config"))
        self.assertEqual(set(result), {"item", "action"})
        self.assertEqual((self.files.data_path / "config" / "printer.cfg").read_bytes(), b"[printer]\n")

    def test_print_true_starts_the_print_when_idle(self) -> None:
        result = self.successResultOf(self.upload(print="true", path="sub"))
        self.assertTrue(result["print_started"])
        self.assertEqual(self.klippy.prints, [("sub/part.gcode", None)])

    def test_print_true_starts_the_print_once_the_metadata_is_stored(self) -> None:
        metadata_at_start: list[Any] = []
        record_print = self.klippy.start_print

        def start_print(filename: str, user: str | None = None) -> Any:
            metadata_at_start.append(self.files.service.metadata.get(filename))
            return record_print(filename, user)

        self.patch(self.klippy, "start_print", start_print)
        result = self.successResultOf(self.upload(sample("cura"), print="true"))
        self.assertTrue(result["print_started"])
        [metadata] = metadata_at_start
        self.assertEqual(metadata["slicer"], "Cura")  # type: ignore[index]

    def test_print_while_printing_is_queued_when_configured(self) -> None:
        self.klippy.status["print_stats"] = {"state": "printing", "filename": "other.gcode"}
        queue = FakeJobQueue()
        self.files = self.start("queue_gcode_uploads: True\n")
        self.files.ctx.components["job_queue"] = queue  # type: ignore[assignment]
        self.gcodes = self.files.data_path / "gcodes"
        result = self.successResultOf(self.upload(print="true"))
        self.assertEqual((result["print_started"], result["print_queued"]), (False, True))
        self.assertEqual(queue.queued, ["part.gcode"])

    def test_the_printed_file_cannot_be_overwritten(self) -> None:
        self.klippy.status["print_stats"] = {"state": "printing", "filename": "part.gcode"}
        error = self.failureResultOf(self.upload(), ApiError).value
        self.assertEqual((error.status, error.message), (403, "File is loaded, upload not permitted"))
        self.assertEqual(self.leftovers(), [])

    def test_ufp_is_stored_as_gcode(self) -> None:
        package = BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("/3D/model.gcode", sample("cura"))
        result = self.successResultOf(self.upload(package.getvalue(), "cube.ufp"))
        self.assertEqual(result["item"]["path"], "cube.gcode")
        self.assertEqual(sorted(p.name for p in self.gcodes.iterdir()), ["cube.gcode"])

    def test_upload_is_http_only(self) -> None:
        entry = self.files.ctx.registry.by_method("server.files.upload")
        assert entry is not None
        self.assertEqual(entry.transports, Transport.HTTP)

    def test_open_incoming_refuses_read_only_roots(self) -> None:
        self.assertRaises(ApiError, self.files.service.open_incoming, "logs")
        self.assertIsInstance(self.files.service.open_incoming("config"), IncomingFile)
