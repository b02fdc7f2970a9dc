from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.services.authorization.ratelimit import LOCKOUT, WINDOW, LoginLimiter


class LoginLimiterTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.limiter = LoginLimiter(self.clock, max_attempts=3)

    def fail_times(self, ip: str, count: int) -> None:
        for _ in range(count):
            self.limiter.check(ip)
            self.limiter.failed(ip)

    def test_address_is_locked_out_after_max_failures(self) -> None:
        self.fail_times("10.0.0.9", 3)
        error = self.assertRaises(ApiError, self.limiter.check, "10.0.0.9")
        self.assertEqual((error.status, error.message), (401, "Unauthorized, Maximum Login Attempts Reached"))
        self.limiter.check("10.0.0.10")

    def test_lockout_ends_after_its_time(self) -> None:
        self.fail_times("10.0.0.9", 3)
        self.clock.advance(LOCKOUT - 1)
        self.assertRaises(ApiError, self.limiter.check, "10.0.0.9")
        self.clock.advance(1)
        self.limiter.check("10.0.0.9")
        self.fail_times("10.0.0.9", 2)
        self.limiter.check("10.0.0.9")

    def test_success_clears_the_count(self) -> None:
        self.fail_times("10.0.0.9", 2)
        self.limiter.succeeded("10.0.0.9")
        self.fail_times("10.0.0.9", 2)
        self.limiter.check("10.0.0.9")

    def test_failures_outside_the_window_are_forgotten(self) -> None:
        self.fail_times("10.0.0.9", 2)
        self.clock.advance(WINDOW + 1)
        self.fail_times("10.0.0.9", 2)
        self.limiter.check("10.0.0.9")

    def test_ipv6_addresses_count_per_64_block(self) -> None:
        self.fail_times("2001:db8:1:2::1", 1)
        self.fail_times("2001:db8:1:2::2", 1)
        self.fail_times("2001:db8:1:2:ffff::3", 1)
        self.assertRaises(ApiError, self.limiter.check, "2001:db8:1:2::99")
        self.limiter.check("2001:db8:1:3::1")
