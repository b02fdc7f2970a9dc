from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.flow import SendBudget


class SendBudgetTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.transport = StringTransport()
        self.dropped: list[bool] = []
        self.budget = SendBudget(self.transport, limit=100, on_exceeded=lambda: self.dropped.append(True))
        self.budget.attach()

    def test_attach_registers_as_streaming_producer(self) -> None:
        self.assertIs(self.transport.producer, self.budget)
        self.assertTrue(self.transport.streaming)

    def test_writes_are_free_while_not_congested(self) -> None:
        self.assertTrue(self.budget.written(10_000))
        self.assertEqual(self.dropped, [])

    def test_writes_while_congested_count_against_limit(self) -> None:
        self.budget.pauseProducing()
        self.assertTrue(self.budget.written(60))
        self.assertFalse(self.budget.written(60))
        self.assertEqual(self.dropped, [True])

    def test_after_exceeding_nothing_more_is_written(self) -> None:
        self.budget.pauseProducing()
        self.budget.written(200)
        self.budget.resumeProducing()
        self.assertFalse(self.budget.written(1))
        self.assertEqual(self.dropped, [True])

    def test_resume_resets_the_count(self) -> None:
        self.budget.pauseProducing()
        self.budget.written(90)
        self.budget.resumeProducing()
        self.budget.pauseProducing()
        self.assertTrue(self.budget.written(90))

    def test_default_action_aborts_the_connection(self) -> None:
        budget = SendBudget(self.transport, limit=1)
        budget.pauseProducing()
        budget.written(2)
        self.assertTrue(self.transport.disconnecting)
