"""``machine.peripherals.*``: what Mainsail's and Fluidd's device dialogs list.

Each walk of sysfs runs on a worker thread; one query at a time, as in Moonraker.
The walkers are imported by the first query, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThreadPool

from moontwist.api import Request, endpoint
from moontwist.services.machine.host import HostPaths

_T = TypeVar("_T")


class PeripheralEndpoints:
    def __init__(self, reactor: Any, paths: HostPaths, data_path: Path) -> None:
        self.reactor = reactor
        self.paths = paths
        self.data_path = data_path
        self.lock = DeferredLock()

    @endpoint("machine.peripherals.usb", "GET /machine/peripherals/usb")
    async def usb(self, request: Request) -> dict[str, Any]:
        return {"usb_devices": await self._locked(self._usb)}

    def _usb(self) -> list[dict[str, Any]]:
        from moontwist.services.machine.peripherals.usb import UsbNames, find_usb_devices, usb_ids_candidates

        names = UsbNames.load(usb_ids_candidates(self.paths, self.data_path))
        return find_usb_devices(self.paths, names)

    @endpoint("machine.peripherals.serial", "GET /machine/peripherals/serial")
    async def serial(self, request: Request) -> dict[str, Any]:
        from moontwist.services.machine.peripherals.serial import find_serial_devices

        return {"serial_devices": await self._locked(find_serial_devices, self.paths)}

    @endpoint("machine.peripherals.video", "GET /machine/peripherals/video")
    async def video(self, request: Request) -> dict[str, Any]:
        from moontwist.services.machine.peripherals.video import find_video_devices

        return {"v4l2_devices": await self._locked(find_video_devices, self.paths), "libcamera_devices": []}

    @endpoint("machine.peripherals.canbus", "GET /machine/peripherals/canbus")
    async def canbus(self, request: Request) -> dict[str, Any]:
        from moontwist.services.machine.peripherals.canbus import query_uuids

        interface = request.get_str("interface", "can0")
        await self.lock.acquire()
        try:
            return {"can_uuids": await query_uuids(self.reactor, self.paths, interface)}
        finally:
            self.lock.release()

    async def _locked(self, function: Callable[..., _T], *args: Any) -> _T:
        await self.lock.acquire()
        try:
            result: _T = await deferToThreadPool(self.reactor, self.reactor.getThreadPool(), function, *args)
            return result
        finally:
            self.lock.release()
