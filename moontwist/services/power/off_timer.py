"""Moonraker's ``timer`` option of ``gpio``, ``rf`` and ``klipper_device``: a device
switched on goes off again after that many seconds (through ``set_device_power``,
as a Klipper macro would ask)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moontwist.services.power.device import PowerDevice


class OffTimer:
    def __init__(self, device: "PowerDevice", seconds: float | None) -> None:
        self.device = device
        self.seconds = seconds
        self._call: Any = None

    def start(self) -> None:
        """After a switch: count down when the device is now on."""
        device = self.device
        if device.state == "on" and self.seconds is not None:
            self._call = device.reactor.callLater(self.seconds, device.power.set_device_power, device.name, "off")

    def cancel(self) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
