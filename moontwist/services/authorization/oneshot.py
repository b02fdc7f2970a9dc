"""Oneshot tokens: a ``?token=`` for requests whose headers a browser cannot set.

A token is 20 random bytes in base32 (32 characters), lives 5 seconds, is good
for exactly one request, and only from the address that asked for it. Any
attempt to use it spends it, from whatever address, so a token seen in a log
or a proxy is worthless. No timers: expiry is checked on use and stale tokens
are pruned when new ones are issued.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from twisted.internet.interfaces import IReactorTime

LIFETIME = 5.0
MAX_OUTSTANDING = 1024


class OneshotTokens:
    """Issues and redeems single-use tokens bound to a client address."""

    def __init__(self, clock: IReactorTime, lifetime: float = LIFETIME) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._tokens: dict[str, tuple[dict[str, Any] | None, str | None, float]] = {}

    def issue(self, user: dict[str, Any] | None, ip: str | None) -> str:
        now = self._clock.seconds()
        self._prune(now)
        token = base64.b32encode(os.urandom(20)).decode("ascii")
        self._tokens[token] = (user, ip, now + self._lifetime)
        return token

    def redeem(self, token: str, ip: str | None, spend: bool = True) -> tuple[bool, dict[str, Any] | None, str]:
        """``(accepted, user, reason)``: the token is spent either way (unless not ``spend``)."""
        entry = self._tokens.pop(token, None) if spend else self._tokens.get(token)
        if entry is None:
            return False, None, "Unknown or already used oneshot token"
        user, bound_ip, expires = entry
        if self._clock.seconds() >= expires:
            return False, None, "Expired oneshot token"
        if bound_ip != ip:
            return False, None, "Oneshot token used from another address"
        return True, user, ""

    def __len__(self) -> int:
        return len(self._tokens)

    def _prune(self, now: float) -> None:
        for token in [t for t, (_, _, expires) in self._tokens.items() if expires <= now]:
            del self._tokens[token]
        while len(self._tokens) >= MAX_OUTSTANDING:
            del self._tokens[next(iter(self._tokens))]
