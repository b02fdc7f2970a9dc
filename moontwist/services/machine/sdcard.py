"""``sd_info`` of ``machine.system_info``: the CID registers of ``mmcblk0`` in sysfs."""

from __future__ import annotations

from typing import Any

from moontwist.services.machine.host import HostPaths, read_int, read_stripped

SECTOR_SIZE = 512

# SD Association manufacturer ids as commonly reported by card readers.
MANUFACTURERS = {
    "01": "Panasonic",
    "02": "Toshiba",
    "03": "Sandisk",
    "1b": "Samsung",
    "1d": "AData",
    "27": "Phison",
    "28": "Lexar",
    "31": "Silicon Power",
    "41": "Kingston",
    "74": "Transcend",
    "76": "Patriot",
    "82": "Sony",
    "9c": "Angelbird",
}


def format_capacity(total_bytes: int) -> str:
    size = float(total_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def sd_info(paths: HostPaths) -> dict[str, Any]:
    """The card's identity and size, or ``{}`` when there is no SD card."""
    block = paths.sys("block", "mmcblk0")
    device = block / "device"
    manfid = read_stripped(device / "manfid")
    if manfid is None:
        return {}
    manufacturer_id = manfid[-2:].lower()
    info: dict[str, Any] = {
        "manufacturer_id": manufacturer_id,
        "manufacturer": MANUFACTURERS.get(manufacturer_id, "Unknown"),
        "oem_id": (read_stripped(device / "oemid") or "")[-4:],
        "product_name": read_stripped(device / "name") or "",
        "product_revision": _revision(device),
        "serial_number": _hex(read_stripped(device / "serial")),
        "manufacturer_date": _date(read_stripped(device / "date")),
        "capacity": "",
        "total_bytes": None,
    }
    sectors = read_int(block / "size")
    if sectors is not None:
        info["total_bytes"] = sectors * SECTOR_SIZE
        info["capacity"] = format_capacity(info["total_bytes"])
    return info


def _revision(device: Any) -> str:
    hardware, firmware = (read_stripped(device / name) for name in ("hwrev", "fwrev"))
    if hardware is None or firmware is None:
        return ""
    return f"{_hex(hardware)}.{_hex(firmware)}"


def _hex(text: str | None) -> str:
    """``0x0046ba46`` -> ``46ba46``."""
    if not text:
        return ""
    try:
        return format(int(text, 16), "x")
    except ValueError:
        return text


def _date(text: str | None) -> str:
    """The kernel's ``MM/YYYY`` -> ``M/YYYY``."""
    if not text:
        return ""
    month, _, year = text.partition("/")
    return f"{int(month)}/{year}" if month.isdigit() else text
