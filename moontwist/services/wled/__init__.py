"""``[wled NAME]``: WLED LED strips, through WLED's JSON API."""

from moontwist.services.wled.service import WledService

__all__ = ["WledService"]
