"""The README's tour, run as written (with curl) against the real daemon and its simulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from twisted.internet import reactor
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SkipTest, TestCase

from tests.integration.daemon import BASE_CONFIG, short_temp_dir, start_daemon
from tests.integration.files_client import eventually

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR_ADDRESS = "127.0.0.1:7125"


def shell_block_after(text: str, marker: str) -> list[str]:
    """The commands of the first ```sh block after ``marker`` (continued lines joined)."""
    start = text.index("```sh\n", text.index(marker)) + len("```sh\n")
    commands: list[str] = []
    pending = ""
    for line in text[start:text.index("```", start)].splitlines():
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        if (pending + line).strip():
            commands.append(pending + line)
        pending = ""
    return commands


class TourTests(TestCase):
    timeout = 60

    async def test_upload_with_curl_starts_a_print_as_the_tour_says(self) -> None:
        if shutil.which("curl") is None:
            raise SkipTest("curl is not installed")
        commands = shell_block_after(README.read_text(), "Upload a G-code file and print it")
        self.assertEqual([command.split()[0] for command in commands], ["printf", "curl", "curl", "curl"])
        daemon = await start_daemon(self, BASE_CONFIG + "klippy_uds_address: {data_path}/comms/klippy.sock\n",
                                    simulate=True)
        klippy = daemon.ctx.component("klippy")
        await eventually(lambda: klippy.state == "ready", timeout=20)
        await daemon.ctx.component("file_manager").ready
        address = daemon.http_url.removeprefix("http://")
        workdir = short_temp_dir(self)
        outputs = []
        for command in commands:
            out, err, code = await getProcessOutputAndValue(
                "/bin/sh", ["-c", command.replace(TOUR_ADDRESS, address)], path=str(workdir), reactor=reactor)
            self.assertEqual(code, 0, f"{command}: {err!r}")
            outputs.append(out)
        uploaded, queried, listed = (json.loads(out) for out in outputs[1:])
        self.assertEqual((uploaded["item"]["path"], uploaded["action"], uploaded["print_started"]),
                         ("cube.gcode", "create_file", True))
        stats = queried["result"]["status"]["print_stats"]
        self.assertEqual(stats["filename"], "cube.gcode")
        self.assertIn(stats["state"], ("printing", "complete"))
        self.assertIn("cube.gcode", [item["path"] for item in listed["result"]])
        self.assertEqual((daemon.data_path / "gcodes" / "cube.gcode").read_bytes(),
                         (workdir / "cube.gcode").read_bytes())
