"""Child processes: found on PATH, output and exit code collected, stdin fed, runaways killed."""

from __future__ import annotations

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.services.machine.commands import CommandError, run
from tests.services.machine.helpers import fake_programs


class CommandTests(TestCase):
    def setUp(self) -> None:
        fake_programs(self, {
            "speak": 'echo "out $1"; echo "err" >&2; exit 3',
            "repeat": "read -r line; echo \"got $line\"",
            "hang": "exec sleep 30",
        })

    async def test_output_and_exit_code(self) -> None:
        result = await run(reactor, ["speak", "hello"])
        self.assertEqual((result.stdout, result.stderr, result.exit_code, result.ok), ("out hello\n", "err\n", 3, False))

    async def test_stdin_is_fed_then_closed(self) -> None:
        self.assertEqual((await run(reactor, ["repeat"], stdin=b"secret\n")).stdout, "got secret\n")

    async def test_missing_program(self) -> None:
        with self.assertRaises(CommandError) as raised:
            await run(reactor, ["no-such-program-here"])
        self.assertEqual(str(raised.exception), "Command not found: no-such-program-here")

    async def test_a_program_that_runs_too_long_is_killed(self) -> None:
        with self.assertRaises(CommandError) as raised:
            await run(reactor, ["hang"], timeout=0.2)
        self.assertEqual(str(raised.exception), "hang timed out after 0.2 s")
