"""Klippy: the connection, its state, the shared subscription and the printer API."""

from moontwist.services.klippy.service import KlippyService

__all__ = ["KlippyService"]
