"""machine.peripherals.*: fake sysfs and /dev trees, a fake V4L2 driver, CAN frames over a socket pair."""

from __future__ import annotations

import ctypes
import os
import socket
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import Clock, deferLater
from twisted.trial.unittest import SynchronousTestCase, TestCase

from moontwist.errors import ApiError
from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.peripherals.canbus import FRAME, UuidQuery, decode_reply, query_uuids
from moontwist.services.machine.peripherals.serial import find_serial_devices
from moontwist.services.machine.peripherals.usb import UsbNames, find_usb_devices, parse_usb_ids, usb_ids_candidates
from moontwist.services.machine.peripherals.video import (
    ENUM_FMT, ENUM_FRAMESIZES, QUERYCAP, Capability, FormatDescription, FrameSize, find_video_devices)
from tests.services.machine.helpers import temp_dir, write_tree

USB_IDS = """\
# comment
1d6b  Linux Foundation
\t0002  2.0 root hub
0483  STMicroelectronics
\t5740  Virtual COM Port
C 02  Communications
\t02  Abstract (modem)
\t\t01  AT-commands (v.25ter)
C 09  Hub
\t00  Unused
\t\t00  Full speed (or root) hub
"""


def link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def usb_tree(test: SynchronousTestCase) -> HostPaths:
    root = temp_dir(test)
    hub = "sys/devices/platform/usb1/1-1"
    klipper = f"{hub}/1-1.2"
    write_tree(root, {
        f"{hub}/devnum": "2\n", f"{hub}/busnum": "1\n", f"{hub}/idVendor": "1D6B\n", f"{hub}/idProduct": "0002\n",
        f"{hub}/bDeviceClass": "09\n", f"{hub}/bDeviceSubClass": "00\n", f"{hub}/bDeviceProtocol": "00\n",
        f"{klipper}/devnum": "5\n", f"{klipper}/busnum": "1\n", f"{klipper}/idVendor": "1d50\n",
        f"{klipper}/idProduct": "614e\n", f"{klipper}/bDeviceClass": "02\n", f"{klipper}/bDeviceSubClass": "02\n",
        f"{klipper}/bDeviceProtocol": "01\n", f"{klipper}/manufacturer": "Klipper\n",
        f"{klipper}/product": "stm32f446xx\n", f"{klipper}/serial": "3A0042\n",
        f"{klipper}/1-1.2:1.0/driver_placeholder": "",
        "sys/devices/platform/serial8250/tty/ttyS0/x": "", "sys/devices/platform/serial8250/tty/ttyS1/x": "",
        "sys/devices/platform/fe201000.serial/x": "",
        "sys/bus/drivers/cdc_acm/x": "", "sys/bus/drivers/serial8250/x": "", "sys/bus/drivers/uart-pl011/x": "",
        "sys/class/tty/ttyS0/uartclk": "0\n", "sys/class/tty/ttyS0/port": "0x0\n",
        "sys/class/tty/ttyS1/uartclk": "0\n", "sys/class/tty/ttyS1/port": "0x2F8\n",
        "sys/class/tty/ttyAMA0/uartclk": "48000000\n", "sys/class/tty/ttyAMA0/port": "0x00000000\n",
        "sys/class/tty/tty0/dev": "4:0\n",
        "dev/ttyACM0": "", "dev/ttyS0": "", "dev/ttyAMA0": "",
        "usr/share/misc/usb.ids": USB_IDS,
    })
    link(root / "sys/bus/usb/devices/1-1", f"../../../devices/platform/usb1/1-1")
    link(root / "sys/bus/usb/devices/1-1.2", f"../../../devices/platform/usb1/1-1/1-1.2")
    link(root / "sys/class/tty/ttyACM0/device", f"../../../../{klipper}/1-1.2:1.0")
    link(root / f"{klipper}/1-1.2:1.0/driver", "../../../../../bus/drivers/cdc_acm")
    for tty, device, driver in (("ttyS0", "sys/devices/platform/serial8250", "serial8250"),
                                ("ttyS1", "sys/devices/platform/serial8250", "serial8250"),
                                ("ttyAMA0", "sys/devices/platform/fe201000.serial", "uart-pl011")):
        link(root / f"sys/class/tty/{tty}/device", f"../../../../{device}")
        if not (root / device / "driver").exists():
            link(root / device / "driver", f"../../../bus/drivers/{driver}")
    link(root / "dev/serial/by-id/usb-Klipper_stm32f446xx_3A0042-if00", "../../ttyACM0")
    link(root / "dev/serial/by-path/platform-fd500000.pcie-usb-0:1.2:1.0", "../../ttyACM0")
    return HostPaths(root)


class UsbTests(SynchronousTestCase):
    def test_devices_with_names_from_sysfs_then_usb_ids(self) -> None:
        paths = usb_tree(self)
        names = UsbNames.load(usb_ids_candidates(paths, paths.root / "data"))
        devices = find_usb_devices(paths, names)
        self.assertEqual(devices, [
            {"device_num": 2, "bus_num": 1, "vendor_id": "1d6b", "product_id": "0002", "usb_location": "1:2",
             "manufacturer": "Linux Foundation", "product": "2.0 root hub", "serial": None, "class": "Hub",
             "subclass": None, "protocol": "Full speed (or root) hub",
             "description": "Linux Foundation 2.0 root hub"},
            {"device_num": 5, "bus_num": 1, "vendor_id": "1d50", "product_id": "614e", "usb_location": "1:5",
             "manufacturer": "Klipper", "product": "stm32f446xx", "serial": "3A0042", "class": "Communications",
             "subclass": "Abstract (modem)", "protocol": "AT-commands (v.25ter)",
             "description": "OpenMoko, Inc Klipper 3d-Printer Firmware"},
        ])

    def test_the_data_folders_usb_ids_comes_first_and_none_at_all_still_names_klipper(self) -> None:
        paths = usb_tree(self)
        data = temp_dir(self)
        write_tree(data, {"misc/usb.ids": "1d6b  Someone Else\n"})
        names = UsbNames.load(usb_ids_candidates(paths, data))
        self.assertEqual(names.product("1d6b", "0002")["manufacturer"], "Someone Else")
        bare = UsbNames.load([])
        self.assertEqual(bare.product("1d50", "6177")["product"], "Katapult Bootloader (CDC_ACM)")
        self.assertEqual(bare.device_class("09", "00", "00"), {"class": None, "subclass": None, "protocol": None})

    def test_usb_ids_parsing(self) -> None:
        parsed = parse_usb_ids(USB_IDS)
        self.assertEqual(parsed["DI:0483:5740"], "Virtual COM Port")
        self.assertEqual(parsed["C:02:02:01"], "AT-commands (v.25ter)")

    def test_no_usb_bus(self) -> None:
        self.assertEqual(find_usb_devices(HostPaths(temp_dir(self)), UsbNames({})), [])


class SerialTests(SynchronousTestCase):
    def test_usb_and_hardware_uarts_with_their_links(self) -> None:
        devices = find_serial_devices(usb_tree(self))
        self.assertEqual(devices, [
            {"device_type": "usb", "device_path": "/dev/ttyACM0", "device_name": "ttyACM0", "driver_name": "cdc_acm",
             "path_by_hardware": "/dev/serial/by-path/platform-fd500000.pcie-usb-0:1.2:1.0",
             "path_by_id": "/dev/serial/by-id/usb-Klipper_stm32f446xx_3A0042-if00", "usb_location": "1:5"},
            {"device_type": "hardware_uart", "device_path": "/dev/ttyAMA0", "device_name": "ttyAMA0",
             "driver_name": "uart-pl011", "path_by_hardware": None, "path_by_id": None, "usb_location": None},
            {"device_type": "hardware_uart", "device_path": "/dev/ttyS0", "device_name": "ttyS0",
             "driver_name": "serial8250", "path_by_hardware": None, "path_by_id": None, "usb_location": None},
        ])

    def test_real_host(self) -> None:
        for device in find_serial_devices(HostPaths()):
            self.assertTrue(device["device_path"].startswith("/dev/"))
            self.assertIn(device["device_type"], ("usb", "hardware_uart", "unknown"))


class FakeV4l2Driver:
    """Answers the three ioctls like a USB webcam with MJPG at two sizes and YUYV at one."""

    formats = [(b"Motion-JPEG", 0x47504A4D, 1, [(1920, 1080), (640, 480)]), (b"YUYV 4:2:2", 0x56595559, 0, [(640, 480)])]

    def __call__(self, fd: int, request: int, argument: Any) -> None:
        if request == QUERYCAP:
            assert isinstance(argument, Capability)
            argument.driver, argument.card, argument.bus_info = b"uvcvideo", b"HD USB Camera", b"usb-0000:01:00.0-1.3"
            argument.version = (6 << 16) | (1 << 8) | 21
            argument.device_caps = 0x04200001
        elif request == ENUM_FMT:
            assert isinstance(argument, FormatDescription)
            if argument.index >= len(self.formats):
                raise OSError(22, "Invalid argument")
            description, pixel_format, flags, _ = self.formats[argument.index]
            argument.description, argument.pixelformat, argument.flags = description, pixel_format, flags
        elif request == ENUM_FRAMESIZES:
            assert isinstance(argument, FrameSize)
            sizes = next(f[3] for f in self.formats if f[1] == argument.pixel_format)
            if argument.index >= len(sizes):
                raise OSError(22, "Invalid argument")
            argument.type = 1
            argument.discrete.width, argument.discrete.height = sizes[argument.index]
        else:
            raise OSError(25, "Inappropriate ioctl for device")


class VideoTests(SynchronousTestCase):
    def test_capture_devices_from_the_v4l2_answers(self) -> None:
        paths = usb_tree(self)
        root = paths.root
        write_tree(root, {"sys/class/video4linux/video0/name": "HD USB Camera: HD USB Camera\n", "dev/video0": "",
                          "sys/class/video4linux/video10/name": "bcm2835-codec-decode\n", "dev/video10": ""})
        link(root / "sys/class/video4linux/video0/device", "../../../devices/platform/usb1/1-1/1-1.2/1-1.2:1.0")
        link(root / "dev/v4l/by-id/usb-HD_USB_Camera-video-index0", "../../video0")

        def driver(fd: int, request: int, argument: Any) -> None:
            if os.readlink(f"/proc/self/fd/{fd}").endswith("video10"):
                raise OSError(25, "Inappropriate ioctl for device")
            FakeV4l2Driver()(fd, request, argument)

        devices = find_video_devices(paths, driver)
        self.assertEqual(devices, [{
            "device_name": "video0", "device_path": "/dev/video0", "camera_name": "HD USB Camera",
            "driver_name": "uvcvideo", "hardware_bus": "usb-0000:01:00.0-1.3",
            "capabilities": ["VIDEO_CAPTURE", "EXT_PIX_FORMAT", "STREAMING"], "version": "6.1.21",
            "path_by_hardware": None, "path_by_id": "/dev/v4l/by-id/usb-HD_USB_Camera-video-index0",
            "alt_name": "HD USB Camera: HD USB Camera", "usb_location": "1:5",
            "modes": [
                {"format": "MJPG", "description": "Motion-JPEG", "flags": ["COMPRESSED"],
                 "resolutions": ["1920x1080", "640x480"]},
                {"format": "YUYV", "description": "YUYV 4:2:2", "flags": [], "resolutions": ["640x480"]},
            ],
        }])

    def test_a_node_that_is_no_v4l2_device_is_skipped(self) -> None:
        root = write_tree(temp_dir(self), {"sys/class/video4linux/video0/name": "x\n", "dev/video0": ""})
        self.assertEqual(find_video_devices(HostPaths(root)), [])

    def test_structures_have_the_kernels_sizes(self) -> None:
        self.assertEqual((ctypes.sizeof(Capability), ctypes.sizeof(FormatDescription), ctypes.sizeof(FrameSize)),
                         (104, 64, 44))


class SplitReactor:
    """The real reactor's file descriptors, a Clock's time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def addReader(self, reader: Any) -> None:
        reactor.addReader(reader)

    def removeReader(self, reader: Any) -> None:
        reactor.removeReader(reader)

    def callLater(self, delay: float, function: Any, *args: Any) -> Any:
        return self.clock.callLater(delay, function, *args)


class CanbusTests(TestCase):
    def test_reply_frames(self) -> None:
        uuid = bytes.fromhex("0a1b2c3d4e5f")
        self.assertEqual(decode_reply(FRAME.pack(0x3F1, 8, b"\x20" + uuid + b"\x01")),
                         {"uuid": "0a1b2c3d4e5f", "application": "Klipper"})
        self.assertEqual(decode_reply(FRAME.pack(0x3F1, 7, b"\x20" + uuid))["application"], "Unknown")
        self.assertIsNone(decode_reply(FRAME.pack(0x3F0, 8, b"\x20" + uuid + b"\x01")))
        self.assertIsNone(decode_reply(FRAME.pack(0x3F1, 8, b"\x21" + uuid + b"\x01")))
        self.assertIsNone(decode_reply(b"short"))

    async def test_query_collects_answers_until_the_time_is_over(self) -> None:
        ours, bus = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.addCleanup(bus.close)
        clock = Clock()
        query = UuidQuery(SplitReactor(clock), ours)
        done = query.start()
        self.assertEqual(FRAME.unpack(bus.recv(64)), (0x3F0, 1, b"\x00" + bytes(7)))
        bus.send(FRAME.pack(0x3F1, 8, b"\x20" + bytes.fromhex("aabbccddeeff") + b"\x11"))
        bus.send(FRAME.pack(0x123, 2, b"hi"))
        bus.send(FRAME.pack(0x3F1, 8, b"\x20" + bytes.fromhex("010203040506") + b"\x01"))
        for _ in range(1000):
            if len(query.uuids) == 2:
                break
            await deferLater(reactor, 0, lambda: None)
        self.assertFalse(done.called)
        clock.advance(2)
        self.assertEqual(await done, [{"uuid": "aabbccddeeff", "application": "Katapult"},
                                      {"uuid": "010203040506", "application": "Klipper"}])
        self.assertEqual(ours.fileno(), -1)

    async def test_no_such_interface_is_no_uuids_and_a_bind_failure_is_500(self) -> None:
        paths = HostPaths(temp_dir(self))
        self.assertEqual(await query_uuids(reactor, paths, "can0"), [])
        write_tree(paths.root, {"sys/class/net/can0/type": "280\n"})

        def refuse(interface: str) -> socket.socket:
            raise ApiError(f"Unable to bind socket to interface '{interface}'", 500)

        with self.assertRaises(ApiError) as raised:
            await query_uuids(reactor, paths, "can0", refuse)
        self.assertEqual(raised.exception.status, 500)

