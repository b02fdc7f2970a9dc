import re

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.authorization.oneshot import MAX_OUTSTANDING, OneshotTokens

USER = {"username": "alice"}


class OneshotTokenTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.tokens = OneshotTokens(self.clock)

    def test_token_is_32_base32_characters(self) -> None:
        self.assertRegex(self.tokens.issue(USER, "10.0.0.2"), re.compile(r"^[A-Z2-7]{32}$"))

    def test_token_works_once(self) -> None:
        token = self.tokens.issue(USER, "10.0.0.2")
        self.assertEqual(self.tokens.redeem(token, "10.0.0.2"), (True, USER, ""))
        self.assertEqual(self.tokens.redeem(token, "10.0.0.2"),
                         (False, None, "Unknown or already used oneshot token"))

    def test_token_expires_after_five_seconds(self) -> None:
        token = self.tokens.issue(USER, "10.0.0.2")
        self.clock.advance(5)
        self.assertEqual(self.tokens.redeem(token, "10.0.0.2"), (False, None, "Expired oneshot token"))

    def test_token_from_another_address_is_refused_and_spent(self) -> None:
        token = self.tokens.issue(USER, "10.0.0.2")
        self.assertEqual(self.tokens.redeem(token, "10.0.0.3"),
                         (False, None, "Oneshot token used from another address"))
        self.assertFalse(self.tokens.redeem(token, "10.0.0.2")[0])

    def test_expired_tokens_are_pruned_and_the_count_is_bounded(self) -> None:
        self.tokens.issue(USER, "10.0.0.2")
        self.clock.advance(6)
        self.tokens.issue(USER, "10.0.0.2")
        self.assertEqual(len(self.tokens), 1)
        for _ in range(MAX_OUTSTANDING + 10):
            self.tokens.issue(USER, "10.0.0.2")
        self.assertEqual(len(self.tokens), MAX_OUTSTANDING)
