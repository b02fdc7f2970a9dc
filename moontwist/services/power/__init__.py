"""Power devices (``[power NAME]``): smart plugs, Klipper pins, HTTP switches."""

from moontwist.services.power.service import PowerService

__all__ = ["PowerService"]
