import io

from twisted.internet.defer import Deferred
from twisted.internet.error import CannotListenError
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from moontwist.startup import StartupError, describe, exit_when_start_fails


class ExitWhenStartFailsTests(SynchronousTestCase):
    def test_failed_start_writes_one_line_stops_and_exits_1_after_shutdown(self) -> None:
        reactor = MemoryReactorClock()
        ready: Deferred[None] = Deferred()
        stderr, exits = io.StringIO(), []
        exit_when_start_fails(ready, reactor, stderr, exits.append)
        ready.errback(StartupError("HTTP: Couldn't listen on 127.0.0.1:7125"))
        self.assertEqual(stderr.getvalue(), "moontwist: cannot start: HTTP: Couldn't listen on 127.0.0.1:7125\n")
        reactor.run()
        self.assertTrue(reactor.hasStopped)
        self.assertEqual(exits, [])
        for phase in ("before", "during", "after"):
            for trigger, args, kwargs in reactor.triggers.get(phase, {}).get("shutdown", []):
                trigger(*args, **kwargs)
        self.assertEqual(exits, [1])

    def test_successful_start_does_nothing(self) -> None:
        reactor = MemoryReactorClock()
        ready: Deferred[None] = Deferred()
        stderr = io.StringIO()
        exit_when_start_fails(ready, reactor, stderr, lambda code: None)
        ready.callback(None)
        self.assertEqual(stderr.getvalue(), "")
        self.assertFalse(reactor.hasStopped)

    def test_unexpected_error_is_described_with_its_type(self) -> None:
        failure = Failure(CannotListenError("127.0.0.1", 1, OSError(98, "in use")))
        self.assertTrue(describe(failure).startswith("CannotListenError: Couldn't listen on 127.0.0.1:1"))
