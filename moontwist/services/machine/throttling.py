"""Raspberry Pi throttling: ``vcgencmd get_throttled`` bits and their names."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from moontwist.processes import Completed, run

QUERY_TIMEOUT = 5.0

THROTTLE_FLAGS = {
    0: "Under-Voltage Detected",
    1: "Frequency Capped",
    2: "Currently Throttled",
    3: "Temperature Limit Active",
    16: "Previously Under-Volted",
    17: "Previously Frequency Capped",
    18: "Previously Throttled",
    19: "Previously Temperature Limited",
}


def throttled_state(bits: int) -> dict[str, Any]:
    return {"bits": bits, "flags": [name for bit, name in THROTTLE_FLAGS.items() if bits & (1 << bit)]}


def parse_get_throttled(output: str) -> int:
    """``throttled=0x50005`` -> ``0x50005``; ValueError on anything else."""
    key, _, value = output.strip().partition("=")
    if key != "throttled":
        raise ValueError(f"unexpected vcgencmd output: {output!r}")
    return int(value, 16)


def query_throttled(reactor: Any, vcgencmd: str) -> "Deferred[dict[str, Any]]":
    """Run ``vcgencmd get_throttled`` (off the reactor) and decode its answer."""

    def decode(result: Completed) -> dict[str, Any]:
        if not result.ok:
            raise ValueError(f"vcgencmd failed ({result.exit_code}): {result.stderr.strip()}")
        return throttled_state(parse_get_throttled(result.stdout))

    return run(reactor, [vcgencmd, "get_throttled"], timeout=QUERY_TIMEOUT).addCallback(decode)
