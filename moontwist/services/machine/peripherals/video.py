"""``machine.peripherals.video``: V4L2 capture devices, asked through their device nodes.

sysfs names the devices (``/sys/class/video4linux``); what each can do comes
from three V4L2 ioctls on ``/dev/videoN`` (QUERYCAP, ENUM_FMT,
ENUM_FRAMESIZES), with ctypes structures, no library. ``libcamera_devices``
stays empty: the libcamera bindings are not a dependency of ours.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
from pathlib import Path
from typing import Any, Callable

from moontwist.services.machine.host import HostPaths, read_stripped
from moontwist.services.machine.peripherals.sysfs import host_path, links_by_target, usb_location


class Capability(ctypes.Structure):
    _fields_ = [("driver", ctypes.c_char * 16), ("card", ctypes.c_char * 32), ("bus_info", ctypes.c_char * 32),
                ("version", ctypes.c_uint32), ("capabilities", ctypes.c_uint32), ("device_caps", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32 * 3)]


class FormatDescription(ctypes.Structure):
    _fields_ = [("index", ctypes.c_uint32), ("type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("description", ctypes.c_char * 32), ("pixelformat", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32 * 4)]


class FrameSizeDiscrete(ctypes.Structure):
    _fields_ = [("width", ctypes.c_uint32), ("height", ctypes.c_uint32)]


class FrameSizeStepwise(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ("min_width", "max_width", "step_width", "min_height", "max_height", "step_height")]


class FrameSizeUnion(ctypes.Union):
    _fields_ = [("discrete", FrameSizeDiscrete), ("stepwise", FrameSizeStepwise)]


class FrameSize(ctypes.Structure):
    _anonymous_ = ("size",)
    _fields_ = [("index", ctypes.c_uint32), ("pixel_format", ctypes.c_uint32), ("type", ctypes.c_uint32),
                ("size", FrameSizeUnion), ("reserved", ctypes.c_uint32 * 2)]


def _ioc(direction: int, number: int, structure: type[ctypes.Structure]) -> int:
    return (direction << 30) | (ctypes.sizeof(structure) << 16) | (ord("V") << 8) | number


_READ, _READ_WRITE = 2, 3
QUERYCAP = _ioc(_READ, 0, Capability)
ENUM_FMT = _ioc(_READ_WRITE, 2, FormatDescription)
ENUM_FRAMESIZES = _ioc(_READ_WRITE, 74, FrameSize)
BUF_TYPE_VIDEO_CAPTURE = 1
FRAMESIZE_DISCRETE = 1
MAX_ENUMERATED = 128

# V4L2 device capability bits, by the names Moonraker shows.
CAPABILITIES = (
    ("VIDEO_CAPTURE", 0x00000001), ("VIDEO_OUTPUT", 0x00000002), ("VIDEO_OVERLAY", 0x00000004),
    ("VBI_CAPTURE", 0x00000010), ("VBI_OUTPUT", 0x00000020), ("SLICED_VBI_CAPTURE", 0x00000040),
    ("SLICED_VBI_OUTPUT", 0x00000080), ("RDS_CAPTURE", 0x00000100), ("VIDEO_OUTPUT_OVERLAY", 0x00000200),
    ("HW_FREQ_SEEK", 0x00000400), ("RDS_OUTPUT", 0x00000800), ("VIDEO_CAPTURE_MPLANE", 0x00001000),
    ("VIDEO_OUTPUT_MPLANE", 0x00002000), ("VIDEO_M2M_MPLANE", 0x00004000), ("VIDEO_M2M", 0x00008000),
    ("TUNER", 0x00010000), ("AUDIO", 0x00020000), ("RADIO", 0x00040000), ("MODULATOR", 0x00080000),
    ("SDR_CAPTURE", 0x00100000), ("EXT_PIX_FORMAT", 0x00200000), ("SDR_OUTPUT", 0x00400000),
    ("META_CAPTURE", 0x00800000), ("READWRITE", 0x01000000), ("STREAMING", 0x04000000),
    ("META_OUTPUT", 0x08000000), ("TOUCH", 0x10000000), ("IO_MC", 0x20000000), ("SET_DEVICE_CAPS", 0x80000000),
)
FORMAT_FLAGS = (("COMPRESSED", 0x0001), ("EMULATED", 0x0002))

Ioctl = Callable[[int, int, Any], Any]


def names_of(value: int, flags: tuple[tuple[str, int], ...]) -> list[str]:
    return [name for name, bit in flags if value & bit]


def fourcc(pixel_format: int) -> str:
    return bytes((pixel_format >> (8 * i)) & 0xFF for i in range(4)).decode("ascii", errors="ignore")


def find_video_devices(paths: HostPaths, ioctl: Ioctl = fcntl.ioctl) -> list[dict[str, Any]]:
    folder = paths.sys("class", "video4linux")
    if not folder.is_dir():
        return []
    by_path = links_by_target(paths, "/dev/v4l/by-path")
    by_id = links_by_target(paths, "/dev/v4l/by-id")
    devices = []
    for entry in sorted(folder.iterdir()):
        node = paths.path(f"/dev/{entry.name}")
        probed = _probe(node, ioctl)
        if probed is None:
            continue
        capability, modes = probed
        version = capability.version
        devices.append({
            "device_name": entry.name,
            "device_path": host_path(paths, node),
            "camera_name": capability.card.decode(errors="replace"),
            "driver_name": capability.driver.decode(errors="replace"),
            "hardware_bus": capability.bus_info.decode(errors="replace"),
            "capabilities": names_of(capability.device_caps, CAPABILITIES),
            "version": ".".join(str((version >> shift) & 0xFF) for shift in (16, 8, 0)),
            "path_by_hardware": by_path.get(entry.name),
            "path_by_id": by_id.get(entry.name),
            "alt_name": read_stripped(entry / "name"),
            "usb_location": usb_location(paths, (entry / "device").resolve()) if (entry / "device").is_dir() else None,
            "modes": modes,
        })
    devices.sort(key=lambda device: device["device_name"])
    devices.sort(key=lambda device: _index(device["device_name"]))
    return devices


def _index(name: str) -> int:
    try:
        return int(name[5:])
    except ValueError:
        return -1


def _probe(node: Path, ioctl: Ioctl) -> tuple[Capability, list[dict[str, Any]]] | None:
    """The device's capabilities and modes; None when it cannot capture or cannot be asked."""
    try:
        fd = os.open(node, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        capability = Capability()
        ioctl(fd, QUERYCAP, capability)
        if not capability.device_caps & 0x00000001:
            return None
        return capability, _modes(fd, ioctl)
    except OSError:
        return None
    finally:
        os.close(fd)


def _modes(fd: int, ioctl: Ioctl) -> list[dict[str, Any]]:
    modes = []
    description = FormatDescription()
    for index in range(MAX_ENUMERATED):
        description.index, description.type = index, BUF_TYPE_VIDEO_CAPTURE
        try:
            ioctl(fd, ENUM_FMT, description)
        except OSError:
            break
        resolutions = _resolutions(fd, description.pixelformat, ioctl)
        if resolutions:
            modes.append({
                "format": fourcc(description.pixelformat),
                "description": description.description.decode(errors="replace"),
                "flags": names_of(description.flags, FORMAT_FLAGS),
                "resolutions": resolutions,
            })
    return modes


def _resolutions(fd: int, pixel_format: int, ioctl: Ioctl) -> list[str]:
    sizes = []
    size = FrameSize()
    for index in range(MAX_ENUMERATED):
        size.index, size.pixel_format = index, pixel_format
        try:
            ioctl(fd, ENUM_FRAMESIZES, size)
        except OSError:
            break
        if size.type != FRAMESIZE_DISCRETE:
            break
        sizes.append(f"{size.discrete.width}x{size.discrete.height}")
    return sizes
