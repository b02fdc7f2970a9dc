"""Webcam fields: defaults, checks, the database record, updates."""

from __future__ import annotations

import uuid

from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request
from moontwist.errors import ApiError
from moontwist.services.webcams.camera import Webcam, config_uid, from_record, from_request

FIELDS = ["name", "enabled", "icon", "aspect_ratio", "target_fps", "target_fps_idle", "location", "service",
          "stream_url", "snapshot_url", "flip_horizontal", "flip_vertical", "rotation", "source", "extra_data",
          "uid"]


class WebcamTests(SynchronousTestCase):
    def test_a_request_with_only_name_and_stream_gets_moonrakers_defaults(self) -> None:
        webcam = from_request(Request("x", {"name": "cam", "stream_url": "/webcam/?action=stream"}), "u1")
        shown = webcam.as_dict()
        self.assertEqual(list(shown), FIELDS)
        self.assertEqual(shown, {
            "name": "cam", "enabled": True, "icon": "mdiWebcam", "aspect_ratio": "4:3", "target_fps": 15,
            "target_fps_idle": 5, "location": "printer", "service": "mjpegstreamer",
            "stream_url": "/webcam/?action=stream", "snapshot_url": "", "flip_horizontal": False,
            "flip_vertical": False, "rotation": 0, "source": "database", "extra_data": {}, "uid": "u1",
        })

    def test_stream_url_is_required(self) -> None:
        error = self.assertRaises(ApiError, from_request, Request("x", {"name": "cam"}), "u1")
        self.assertEqual((error.status, error.message), (400, "No data for argument: stream_url"))

    def test_rotation_and_aspect_ratio_are_checked(self) -> None:
        error = self.assertRaises(ApiError, Webcam, name="c", rotation=45)
        self.assertEqual(error.message, "Invalid value for 'rotation': 45")
        for ratio in ("16x9", "a:b", "16:", ":9"):
            error = self.assertRaises(ApiError, Webcam, name="c", aspect_ratio=ratio)
            self.assertEqual(error.message, f"Invalid value for 'aspect_ratio': {ratio}")

    def test_the_record_uses_mainsails_names_and_reads_back(self) -> None:
        webcam = Webcam(name="c", stream_url="s", snapshot_url="p", flip_horizontal=True, target_fps=30,
                        aspect_ratio="16:9", extra_data={"hideFps": True}, uid="u2")
        record = webcam.record()
        self.assertEqual(record, {
            "name": "c", "service": "mjpegstreamer", "targetFps": 30, "urlStream": "s", "urlSnapshot": "p",
            "flipX": True, "flipY": False, "enabled": True, "targetFpsIdle": 5, "aspectRatio": "16:9",
            "icon": "mdiWebcam", "location": "printer", "rotation": 0, "extra_data": {"hideFps": True},
        })
        self.assertEqual(from_record("u2", record), webcam)

    def test_an_old_mainsail_record_with_rotate_and_few_fields(self) -> None:
        webcam = from_record("u3", {"name": "old", "urlStream": "/s", "rotate": 90})
        self.assertEqual((webcam.rotation, webcam.target_fps, webcam.source), (90, 15, "database"))
        self.assertRaises(KeyError, from_record, "u4", {"urlStream": "/s"})
        self.assertRaises(ApiError, from_record, "u5", {"name": "x", "rotation": 7})

    def test_update_converts_by_field_type_and_keeps_source_and_uid(self) -> None:
        webcam = Webcam(name="c", stream_url="s", uid="u")
        args = {"target_fps": "20", "flip_vertical": "true", "uid": "other", "source": "config",
                "unknown": 1, "extra_data": {"a": 1}}
        updated = webcam.updated(Request("x", args))
        self.assertEqual((updated.target_fps, updated.flip_vertical, updated.uid, updated.source),
                         (20, True, "u", "database"))
        self.assertEqual(updated.extra_data, {"a": 1})
        self.assertEqual(webcam.target_fps, 15)
        self.assertRaises(ApiError, webcam.updated, Request("x", {"rotation": 45}))
        self.assertRaises(ApiError, webcam.updated, Request("x", {"target_fps": "fast"}))

    def test_config_uid_is_moonrakers_uuid5(self) -> None:
        namespace = uuid.UUID("0123456789abcdef0123456789abcdef")
        self.assertEqual(config_uid(namespace, "cam"), str(uuid.uuid5(namespace, "moonraker.webcam.cam")))
        self.assertNotEqual(config_uid(namespace, "cam"), config_uid(namespace, "other"))
