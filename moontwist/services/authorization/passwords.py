"""Password hashing: scrypt for new hashes, Moonraker's PBKDF2 accepted on import.

scrypt is memory-hard: each guess costs 32 MiB as well as time, which takes
away most of the advantage GPUs and ASICs have over a Pi when a stolen
database is attacked offline. The parameters (N=2^15, r=8, p=3) are one of
OWASP's equivalent recommendations; they fit a 512 MiB board and are stored
with each hash, so they can be raised later without breaking old ones.

Moonraker stores PBKDF2-HMAC-SHA256 with 100 000 iterations, a 32-byte salt as
hex in ``salt`` and the 32-byte key as hex in ``password``. Those still verify,
and a successful login rehashes them with scrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

SCHEME = "scrypt"
MOONRAKER_ITERATIONS = 100_000
KEY_LENGTH = 32


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's work factors: CPU/memory cost ``2**log_n``, block size, parallelism."""

    log_n: int = 15
    r: int = 8
    p: int = 3

    @property
    def max_memory(self) -> int:
        return 2 * 128 * self.r * (2**self.log_n + self.p + 2)


DEFAULT_COST = ScryptCost()


def hash_password(password: str, cost: ScryptCost = DEFAULT_COST) -> tuple[str, str]:
    """A new ``(salt, password)`` pair for a user record (both text)."""
    salt = os.urandom(32)
    key = _scrypt(password, salt, cost)
    return salt.hex(), f"{SCHEME}:{cost.log_n}:{cost.r}:{cost.p}:{key.hex()}"


def verify_password(password: str, salt_hex: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash of either scheme."""
    try:
        salt = bytes.fromhex(salt_hex)
        if stored.startswith(SCHEME + ":"):
            _, log_n, r, p, key_hex = stored.split(":")
            expected = bytes.fromhex(key_hex)
            candidate = _scrypt(password, salt, ScryptCost(int(log_n), int(r), int(p)))
        else:
            expected = bytes.fromhex(stored)
            candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, MOONRAKER_ITERATIONS)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(candidate, expected)


def is_legacy(stored: str) -> bool:
    """A Moonraker PBKDF2 hash, to be replaced on the next successful login."""
    return not stored.startswith(SCHEME + ":")


def _scrypt(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**cost.log_n, r=cost.r, p=cost.p,
                          maxmem=cost.max_memory, dklen=KEY_LENGTH)
