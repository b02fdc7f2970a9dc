"""The daemon under attack: a real ``twistd moontwist --simulate`` process.

The fuzzing tests are synchronous (Hypothesis drives them) and talk to the
daemon over blocking sockets, so it must run in its own process; that also
lets them read its memory from /proc.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TWISTD = Path(sys.executable).with_name("twistd")
LISTENING = re.compile(rb"HTTP listening on [^:]+:(\d+)")

CONFIG = """\
[server]
host: 127.0.0.1
port: 0
ssl_port: 0
klippy_uds_address: {data}/comms/klippy.sock
max_upload_size: 4
{extra}
[authorization]
trusted_clients:
    127.0.0.0/8
"""


class DaemonProcess:
    """Starts the daemon with ``extra`` [server] options; ``stop`` ends it and removes its data."""

    def __init__(self, extra: str = "") -> None:
        self.data = Path(tempfile.mkdtemp(prefix="mtf"))
        (self.data / "config").mkdir()
        (self.data / "config" / "moonraker.conf").write_text(CONFIG.format(data=self.data, extra=extra))
        (self.data / "gcodes").mkdir()
        (self.data / "gcodes" / "cube.gcode").write_text("G28\nG1 X10 Y10 F6000\n")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        argv = [str(TWISTD), "--nodaemon", "--pidfile=", "moontwist", "--datapath", str(self.data), "--simulate"]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                        cwd=str(self.data), preexec_fn=_end_with_parent)
        self.output = b""
        self._port = threading.Event()
        self.port = 0
        threading.Thread(target=self._read, daemon=True).start()
        if not self._port.wait(30):
            self.stop()
            raise RuntimeError("daemon did not start:\n" + self.output.decode(errors="replace"))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output += line
            found = LISTENING.search(line)
            if found:
                self.port = int(found.group(1))
                self._port.set()

    @property
    def unix_path(self) -> str:
        return str(self.data / "comms" / "moonraker.sock")

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak resident) in KiB."""
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
        return values

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.data, ignore_errors=True)


def _end_with_parent() -> None:
    """In the child: receive SIGTERM when the test process dies, so no daemon outlives a run."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)
