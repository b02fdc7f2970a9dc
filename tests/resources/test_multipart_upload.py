"""MultipartUpload fed byte by byte: fields, the one file part, limits."""

from __future__ import annotations

from pathlib import Path

from twisted.internet.defer import maybeDeferred
from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.resources.multipart_upload import MAX_FIELD_SIZE, MultipartUpload, boundary_of
from moontwist.services.files.incoming import IncomingFile
from tests.resources.test_request import BOUNDARY, multipart


class MultipartUploadTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = Path(self.mktemp()).resolve()
        self.folder.mkdir()
        self.upload = MultipartUpload(BOUNDARY.encode(), lambda: IncomingFile(self.folder, maybeDeferred),
                                      lambda: None, lambda: None)

    def feed_bytewise(self, body: bytes) -> None:
        for index in range(len(body)):
            self.upload.feed(body[index:index + 1])

    def test_fields_and_file_survive_any_chunking(self) -> None:
        data = b"\r\n--not-the-boundary\r\n" + bytes(range(256))
        self.feed_bytewise(multipart({"print": "true", "checksum": "ab"}, filename="ü file.gcode", data=data))
        self.upload.end()
        upload = self.successResultOf(self.upload.received())
        self.assertEqual(upload.filename, "ü file.gcode")
        self.assertEqual(upload.file.path.read_bytes(), data)
        self.assertEqual(self.upload.fields, {"print": "true", "checksum": "ab"})

    def test_oversized_field_is_refused(self) -> None:
        self.upload.feed(multipart({"path": "x" * (MAX_FIELD_SIZE + 1)}))
        self.assertEqual(self.upload.error.status if self.upload.error else None, 400)

    def test_second_file_part_is_refused_and_the_first_removed(self) -> None:
        body = multipart({}, complete=False) + multipart({}, filename="two.gcode")
        self.upload.feed(body)
        self.assertEqual(self.upload.error.message if self.upload.error else None,
                         "Only one file may be uploaded per request")
        self.assertEqual(list(self.folder.iterdir()), [])
        self.failureResultOf(self.upload.received(), ApiError)

    def test_boundary_comes_from_the_content_type(self) -> None:
        self.assertEqual(boundary_of(b'multipart/form-data; boundary="abc"'), b"abc")
        for value in (None, b"application/json", b"multipart/form-data"):
            self.assertRaises(ApiError, boundary_of, value)
