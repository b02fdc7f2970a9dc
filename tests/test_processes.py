"""Child processes: found on PATH, output and exit code collected (and line by line), stdin fed,
run in a folder with added environment, runaways killed, ``check`` failing on a bad exit."""

from __future__ import annotations

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.processes import ProcessError, check, run
from tests.services.machine.helpers import fake_programs, temp_dir


class ProcessTests(TestCase):
    def setUp(self) -> None:
        fake_programs(self, {
            "speak": 'echo "out $1"; echo "err" >&2; exit 3',
            "repeat": "read -r line; echo \"got $line\"",
            "hang": "exec sleep 30",
            "chatty": 'printf "one\\r\\n\\ntwo\\n"; printf "warn\\n" >&2; printf "last"',
            "where": 'pwd; echo "$GREETING"',
        })

    async def test_output_and_exit_code(self) -> None:
        result = await run(reactor, ["speak", "hello"], timeout=30)
        self.assertEqual((result.stdout, result.stderr, result.exit_code, result.ok), ("out hello\n", "err\n", 3, False))

    async def test_stdin_is_fed_then_closed(self) -> None:
        self.assertEqual((await run(reactor, ["repeat"], stdin=b"secret\n", timeout=30)).stdout, "got secret\n")

    async def test_missing_program(self) -> None:
        with self.assertRaises(ProcessError) as raised:
            await run(reactor, ["no-such-program-here"], timeout=30)
        self.assertEqual(str(raised.exception), "Command not found: no-such-program-here")

    async def test_a_program_that_runs_too_long_is_killed(self) -> None:
        with self.assertRaises(ProcessError) as raised:
            await run(reactor, ["hang"], timeout=0.2)
        self.assertEqual(str(raised.exception), "hang timed out after 0.2 s")

    async def test_each_output_line_is_handed_on_as_it_comes(self) -> None:
        lines: list[str] = []
        result = await run(reactor, ["chatty"], timeout=30, on_line=lines.append)
        self.assertEqual(sorted(lines), ["last", "one", "two", "warn"])
        self.assertEqual((result.stdout, result.stderr), ("one\r\n\ntwo\nlast", "warn\n"))

    async def test_runs_in_the_given_folder_with_added_environment(self) -> None:
        folder = temp_dir(self).resolve()
        result = await run(reactor, ["where"], timeout=30, cwd=str(folder), env={"GREETING": "hi"})
        self.assertEqual(result.stdout, f"{folder}\nhi\n")

    async def test_check_fails_with_the_programs_own_message(self) -> None:
        with self.assertRaises(ProcessError) as raised:
            await check(reactor, ["speak", "hello"], timeout=30)
        self.assertEqual((str(raised.exception), raised.exception.output), ("speak hello failed (exit 3): err", "err"))
