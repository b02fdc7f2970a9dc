"""``[data_store]`` options (read by the Klippy service, which keeps the stores)."""

from __future__ import annotations

from moontwist.config.options import Option, SectionOptions
from moontwist.services.klippy import gcode_store, temperature_store

DATA_STORE = SectionOptions(
    "data_store",
    "How much recent temperature and G-code history is kept in memory.",
    (
        Option("temperature_store_size", "int", temperature_store.DEFAULT_SIZE,
               "Samples kept per sensor field (one a second).", minval=1),
        Option("gcode_store_size", "int", gcode_store.DEFAULT_SIZE, "G-code responses kept.", minval=1),
    ),
)
