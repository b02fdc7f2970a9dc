"""``machine.peripherals.serial``: serial ports from ``/sys/class/tty`` and ``/dev/serial/*``."""

from __future__ import annotations

from typing import Any

from moontwist.services.machine.host import HostPaths, read_stripped
from moontwist.services.machine.peripherals.sysfs import links_by_target, usb_location


def find_serial_devices(paths: HostPaths) -> list[dict[str, Any]]:
    by_path = links_by_target(paths, "/dev/serial/by-path")
    by_id = links_by_target(paths, "/dev/serial/by-id")
    tty_folder = paths.sys("class", "tty")
    if not tty_folder.is_dir():
        return []
    devices = []
    for tty in sorted(tty_folder.iterdir()):
        device = tty / "device"
        if not device.is_dir():
            continue
        name = tty.name
        driver = (device / "driver").resolve().name
        info: dict[str, Any] = {
            "device_type": "unknown",
            "device_path": f"/dev/{name}",
            "device_name": name,
            "driver_name": driver,
            "path_by_hardware": by_path.get(name),
            "path_by_id": by_id.get(name),
            "usb_location": None,
        }
        port = read_stripped(tty / "port")
        if (tty / "uartclk").is_file() and port is not None:
            # A serial8250 port other than 0 is a placeholder, not a real UART.
            if driver == "serial8250" and _hex(port) != 0:
                continue
            info["device_type"] = "hardware_uart"
        else:
            location = usb_location(paths, device.resolve())
            if location is not None:
                info["device_type"] = "usb"
                info["usb_location"] = location
        devices.append(info)
    return devices


def _hex(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None
