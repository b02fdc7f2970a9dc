"""How much the fuzzing suite does: a short run by default (CI), ``MOONTWIST_FUZZ=long`` for more.

``scripts/fuzz --long`` sets it; see the README.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("MOONTWIST_FUZZ") == "long"
# JSON-RPC calls generated per transport, HTTP framing cases per kind.
EXAMPLES = 3000 if LONG else 120
# Resource tests: how long each attack lasts (long: past the 60 s head and body deadlines)
# and how many connections it opens.
ATTACK_SECONDS = 75.0 if LONG else 6.0
SLOWLORIS_CONNECTIONS = 500
IDLE_WEBSOCKETS = 2000
# The daemon's peak resident memory must stay under this during any test.
MEMORY_BOUND_KIB = 400 * 1024


def hypothesis_settings() -> settings:
    return settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not LONG,
                    suppress_health_check=list(HealthCheck), print_blob=True)
