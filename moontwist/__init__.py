"""moontwist: a Moonraker-compatible API server for Klipper, built on Twisted."""

__version__ = "0.1.0"
API_VERSION = (1, 5, 0)
# The Moonraker release whose API we serve, in the ``git describe`` form
# (``vX.Y.Z-COMMITS-gHASH``) that every client's version parser accepts:
# Fluidd and Mainsail compare it as semver, Mobileraker needs all three parts.
# Our own version is reported separately (``moontwist_version``).
MOONRAKER_VERSION = "v0.11.0-0-gmoontwist"
