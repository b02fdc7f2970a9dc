"""A faithful simulator of Klippy's API server (tests, demos, benchmarks).

Shares only the ETX framing and the JSON codec with the rest of moontwist.
"""

from moontwist.simulator.printer import SimulatedPrinter
from moontwist.simulator.service import SimulatorService

__all__ = ["SimulatedPrinter", "SimulatorService"]
