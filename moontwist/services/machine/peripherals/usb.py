"""``machine.peripherals.usb``: USB devices from ``/sys/bus/usb/devices``, named from usb.ids.

Names come from the first usb.ids found: ``<data>/misc/usb.ids`` (where
Moonraker downloads it), then the system's copies. Moonraker downloads the
file from linux-usb.org at start; we never reach the network for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moontwist.services.machine.host import HostPaths, read_stripped

SYSTEM_USB_IDS = ("/usr/share/misc/usb.ids", "/usr/share/hwdata/usb.ids", "/var/lib/usbutils/usb.ids")
OPTIONAL_FIELDS = ("manufacturer", "product", "serial")
NULL_DESCRIPTIONS = ("?", "none", "undefined", "reserved/undefined", "unused", "no subclass")
# Names Moonraker knows without usb.ids (the Klipper firmware's own ids).
BUILTIN_NAMES = {
    "DI:1d50": "OpenMoko, Inc",
    "DI:1d50:614e": "Klipper 3d-Printer Firmware",
    "DI:1d50:6177": "Katapult Bootloader (CDC_ACM)",
}


def parse_usb_ids(text: str) -> dict[str, str]:
    """usb.ids as ``DI:vendor``, ``DI:vendor:product``, ``C:class[:sub[:protocol]]`` keys."""
    names: dict[str, str] = {}
    top = sub = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(maxsplit=1)
        if len(parts) != 2:
            continue
        if line.startswith("\t\t"):
            if sub:
                names[f"{sub}:{parts[0].lower()}"] = parts[1]
        elif line.startswith("\t"):
            if top:
                sub = f"{top}:{parts[0].lower()}"
                names[sub] = parts[1]
        elif len(parts[0]) == 4 and _is_hex(parts[0]):
            top = f"DI:{parts[0].lower()}"
            names[top] = parts[1]
        else:
            number_and_name = parts[1].split(maxsplit=1)
            if len(number_and_name) != 2:
                break
            top = f"{parts[0]}:{number_and_name[0].lower()}"
            names[top] = number_and_name[1]
    return names


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


class UsbNames:
    """Lookups in usb.ids, falling back to Moonraker's built-in names."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = {**BUILTIN_NAMES, **names}

    @classmethod
    def load(cls, candidates: list[Path]) -> "UsbNames":
        for path in candidates:
            try:
                return cls(parse_usb_ids(path.read_text(encoding="latin-1")))
            except OSError:
                continue
        return cls({})

    def get(self, key: str, check_null: bool = False) -> str | None:
        name = self.names.get(key)
        if name is not None and check_null and name.lower() in NULL_DESCRIPTIONS:
            return None
        return name

    def product(self, vendor_id: str, product_id: str) -> dict[str, Any]:
        vendor = self.get(f"DI:{vendor_id}")
        if vendor is None:
            return {"description": None, "manufacturer": None, "product": None}
        product = self.get(f"DI:{vendor_id}:{product_id}")
        return {"description": f"{vendor} {product or ''}".strip(), "manufacturer": vendor, "product": product}

    def device_class(self, class_id: str, subclass_id: str, protocol_id: str) -> dict[str, Any]:
        name = self.get(f"C:{class_id}")
        if name is None or class_id == "00":
            return {"class": None, "subclass": None, "protocol": None}
        return {
            "class": name,
            "subclass": self.get(f"C:{class_id}:{subclass_id}", True),
            "protocol": self.get(f"C:{class_id}:{subclass_id}:{protocol_id}", True),
        }


def usb_ids_candidates(paths: HostPaths, data_path: Path) -> list[Path]:
    return [data_path / "misc" / "usb.ids", *(paths.path(name) for name in SYSTEM_USB_IDS)]


def find_usb_devices(paths: HostPaths, names: UsbNames) -> list[dict[str, Any]]:
    folder = paths.sys("bus", "usb", "devices")
    if not folder.is_dir():
        return []
    devices = []
    for device in sorted(entry.parent for entry in folder.glob("*/bDeviceClass")):
        info = _device(device)
        if info is None:
            continue
        class_ids = info.pop("class_ids")
        info.update(names.device_class(*class_ids))
        for field, name in names.product(info["vendor_id"], info["product_id"]).items():
            if info.get(field) is None:
                info[field] = name
        devices.append(info)
    return devices


def _device(folder: Path) -> dict[str, Any] | None:
    values = {name: read_stripped(folder / name) for name in (
        "devnum", "busnum", "idVendor", "idProduct", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol")}
    if any(value is None for value in values.values()):
        return None
    try:
        device_num, bus_num = int(values["devnum"] or ""), int(values["busnum"] or "")
    except ValueError:
        return None
    info: dict[str, Any] = {
        "device_num": device_num,
        "bus_num": bus_num,
        "vendor_id": (values["idVendor"] or "").lower(),
        "product_id": (values["idProduct"] or "").lower(),
        "usb_location": f"{bus_num}:{device_num}",
        "class_ids": [(values[name] or "").lower() for name in ("bDeviceClass", "bDeviceSubClass", "bDeviceProtocol")],
    }
    for field in OPTIONAL_FIELDS:
        info[field] = read_stripped(folder / field)
    return info
