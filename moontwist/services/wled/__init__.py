"""WLED LED strips (``[wled NAME]``) over WLED's HTTP JSON API."""

from moontwist.services.wled.service import WledService

__all__ = ["WledService"]
