"""Spoolman integration (``[spoolman]``): the active spool, filament usage reports, a proxy."""

from moontwist.services.spoolman.service import SpoolmanService

__all__ = ["SpoolmanService"]
