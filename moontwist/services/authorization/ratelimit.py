"""Failed-login rate limiting per client address.

Policy: failed password checks (login with an unknown user, a wrong password
or a wrong source, and wrong current passwords on password change) are counted
per client address. After ``max_attempts`` failures within ``window`` seconds
the address is locked out for ``lockout`` seconds: its logins are refused
before any password is checked. A successful login clears the count. IPv6
clients are counted per /64, the block one home network gets, so an attacker
cannot rotate through its addresses. Counts live in memory only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime

from moontwist.errors import ApiError
from moontwist.services.authorization.addresses import parse_ip

DEFAULT_MAX_ATTEMPTS = 10
WINDOW = 15 * 60.0
LOCKOUT = 15 * 60.0
MAX_TRACKED = 10_000
LOCKED_MESSAGE = "Unauthorized, Maximum Login Attempts Reached"


@dataclass
class _Record:
    failures: int
    first_failure: float
    locked_until: float = 0.0


class LoginLimiter:
    """Counts failures per address and refuses addresses that failed too often."""

    def __init__(self, clock: IReactorTime, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 window: float = WINDOW, lockout: float = LOCKOUT) -> None:
        self._clock = clock
        self.max_attempts = max_attempts
        self._window = window
        self._lockout = lockout
        self._records: dict[str, _Record] = {}

    def check(self, ip: str | None) -> None:
        """Raise 401 if ``ip`` is locked out."""
        record = self._records.get(_key(ip))
        if record is None:
            return
        now = self._clock.seconds()
        if record.locked_until > now:
            raise ApiError(LOCKED_MESSAGE, 401)
        if self._expired(record, now):
            del self._records[_key(ip)]

    def failed(self, ip: str | None) -> None:
        now = self._clock.seconds()
        key = _key(ip)
        record = self._records.get(key)
        if record is None or self._expired(record, now):
            self._make_room(now)
            record = self._records[key] = _Record(0, now)
        record.failures += 1
        if record.failures >= self.max_attempts:
            record.locked_until = now + self._lockout

    def succeeded(self, ip: str | None) -> None:
        self._records.pop(_key(ip), None)

    def _make_room(self, now: float) -> None:
        if len(self._records) < MAX_TRACKED:
            return
        for key in [k for k, r in self._records.items() if self._expired(r, now)]:
            del self._records[key]
        while len(self._records) >= MAX_TRACKED:
            del self._records[next(iter(self._records))]

    def _expired(self, record: _Record, now: float) -> bool:
        if record.locked_until:
            return record.locked_until <= now
        return now - record.first_failure > self._window


def _key(ip: str | None) -> str:
    address = parse_ip(ip)
    if address is None:
        return ip or ""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
