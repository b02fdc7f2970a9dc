"""``[webcam NAME]`` options."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

WEBCAM = SectionOptions(
    "webcam",
    "A webcam clients show; it overrides a webcam of the same name added through the API.",
    (
        Option("location", "str", "printer", "Where the camera looks (`printer`, `door`, `nozzle`...)."),
        Option("icon", "str", "mdiWebcam", "The Material Design icon clients show beside it."),
        Option("enabled", "bool", True, "Whether clients show this webcam."),
        Option("service", "str", "mjpegstreamer",
               "How clients show the stream (`mjpegstreamer`, `webrtc-camerastreamer`, `hlsstream`...)."),
        Option("target_fps", "int", 15, "Frame rate asked of the stream while the printer works."),
        Option("target_fps_idle", "int", 5, "Frame rate asked of the stream while the printer is idle."),
        Option("stream_url", "str", MISSING, "URL of the stream, absolute or relative to the host."),
        Option("snapshot_url", "str", "", "URL of a single picture, absolute or relative to the host."),
        Option("flip_horizontal", "bool", False, "Mirror the picture left to right."),
        Option("flip_vertical", "bool", False, "Mirror the picture top to bottom."),
        Option("rotation", "int", 0, "Rotation of the picture in degrees: 0, 90, 180 or 270."),
        Option("aspect_ratio", "str", "4:3", "Width:height of the picture, e.g. `16:9`."),
    ),
    named=True,
)
