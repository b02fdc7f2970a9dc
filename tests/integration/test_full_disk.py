"""An upload to a full disk is answered 507 at once, on a real (tiny tmpfs) filesystem.

The gcodes root is a 1 MiB tmpfs mounted for the test: the upload's writes
fail with ENOSPC exactly as on a full SD card. Mounting needs root (and
CAP_SYS_ADMIN); elsewhere the test is skipped.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from twisted.trial.unittest import SkipTest, TestCase

from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.raw_http import send_raw

BOUNDARY = "fullDiskBoundary"


def mount_tiny_tmpfs(test: TestCase, path: Path) -> None:
    path.mkdir(exist_ok=True)
    if os.geteuid() != 0:
        raise SkipTest("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise SkipTest(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    test.addCleanup(subprocess.run, ["umount", "-l", str(path)], check=False)


class FullDiskTests(TestCase):
    timeout = 30

    async def test_upload_larger_than_the_free_space_is_507_at_once(self) -> None:
        data_path_holder: list[Path] = []

        def prepare(data_path: Path) -> None:
            data_path_holder.append(data_path)
            mount_tiny_tmpfs(self, data_path / "gcodes")

        daemon = await start_daemon(self, BASE_CONFIG, prepare=prepare)
        head_part = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.gcode\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        size = 12 * 1024 * 1024
        length = len(head_part) + size + len(tail)
        request = (f"POST /server/files/upload HTTP/1.1\r\nHost: p\r\nContent-Length: {length}\r\n"
                   f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode()
        chunk = b"G1 X1\n" * 10923
        parts = [request + head_part] + [chunk] * (size // len(chunk)) + [chunk[:size % len(chunk)] + tail]
        answer = await send_raw(daemon.port_of("http"), *parts, read_timeout=20)
        self.assertEqual(answer.status, 507)
        self.assertIn(b"No space left on device", answer.body)
        self.assertEqual(os.listdir(data_path_holder[0] / "gcodes"), [])
