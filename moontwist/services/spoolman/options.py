"""``[spoolman]`` options."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

SPOOLMAN = SectionOptions(
    "spoolman",
    "Filament use reported to a Spoolman server; the active spool is kept in the database.",
    (
        Option("server", "str", MISSING, "Spoolman's address, `[http(s)://]host[:port][/prefix]`."),
        Option("sync_rate", "int", 5, "Seconds between filament use reports to Spoolman.", minval=1),
    ),
)
