"""machine.system_info facts, read from a fake /proc, /sys and os-release tree."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.machine.cpu import cpu_info
from moontwist.services.machine.distribution import distribution, parse_os_release, parse_release_line
from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.network import canbus, network
from moontwist.services.machine.sdcard import sd_info
from moontwist.services.machine.system_info import own_unit
from moontwist.services.machine.virtualization import virtualization
from tests.services.machine.helpers import temp_dir, write_tree

PI_CPUINFO = """\
processor\t: 0
model name\t: ARMv7 Processor rev 4 (v7l)
BogoMIPS\t: 38.40

processor\t: 1
model name\t: ARMv7 Processor rev 4 (v7l)

Hardware\t: BCM2835
Revision\t: a02082
Serial\t\t: 00000000b898bdb4
Model\t\t: Raspberry Pi 3 Model B Rev 1.2
"""

MEMINFO = "MemTotal:         945364 kB\nMemFree:          100000 kB\nMemAvailable:     600000 kB\n"

OS_RELEASE = '''\
PRETTY_NAME="Raspbian GNU/Linux 10 (buster)"
NAME="Raspbian GNU/Linux"
VERSION_ID="10"
VERSION="10 (buster)"
VERSION_CODENAME=buster
ID=raspbian
ID_LIKE=debian
'''

FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        |-- 127.0.0.1
           /32 host LOCAL
     +-- 192.168.1.0/24 2 0 2
        |-- 192.168.1.0
           /24 link UNICAST
        |-- 192.168.1.127
           /32 host LOCAL
        |-- 192.168.1.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
        |-- 192.168.1.127
           /32 host LOCAL
        |-- 169.254.3.4
           /32 host LOCAL
        |-- 192.168.2.9
           /32 host LOCAL
"""

ROUTE = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\t0000FEA9\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
eth1\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""

IF_INET6 = """\
00000000000000000000000000000001 01 80 10 80       lo
fe800000000000000211223344556677 03 40 20 80    wlan0
20010db8000000000000000000000005 03 40 00 80    wlan0
fe800000000000000000000000000009 04 40 20 80     wg0
"""


def pi_tree(test: SynchronousTestCase) -> HostPaths:
    root = write_tree(temp_dir(test), {
        "proc/cpuinfo": PI_CPUINFO,
        "proc/meminfo": MEMINFO,
        "etc/os-release": OS_RELEASE,
        "etc/debian_version": "10.13\n",
        "proc/sys/kernel/osrelease": "5.10.103-v7+\n",
        "proc/net/fib_trie": FIB_TRIE,
        "proc/net/route": ROUTE,
        "proc/net/if_inet6": IF_INET6,
        "proc/self/cgroup": "0::/system.slice/moonraker-2.service\n",
        "sys/class/net/lo/type": "772\n",
        "sys/class/net/lo/address": "00:00:00:00:00:00\n",
        "sys/class/net/lo/operstate": "unknown\n",
        "sys/class/net/wlan0/type": "1\n",
        "sys/class/net/wlan0/address": "b8:27:eb:00:11:22\n",
        "sys/class/net/wlan0/operstate": "up\n",
        "sys/class/net/eth0/type": "1\n",
        "sys/class/net/eth0/address": "b8:27:eb:33:44:55\n",
        "sys/class/net/eth0/operstate": "up\n",
        # Down, or up without an address: Moonraker leaves them out.
        "sys/class/net/eth1/type": "1\n",
        "sys/class/net/eth1/operstate": "down\n",
        "sys/class/net/usb0/type": "1\n",
        "sys/class/net/usb0/operstate": "up\n",
        "sys/class/net/wg0/type": "65534\n",
        "sys/class/net/wg0/operstate": "unknown\n",
        "sys/class/net/can0/type": "280\n",
        "sys/class/net/can0/tx_queue_len": "128\n",
        "sys/class/net/can0/operstate": "up\n",
        "sys/class/net/can1/type": "280\n",
        "sys/class/net/can1/operstate": "down\n",
        "sys/bus/spi/drivers/mcp251x/.keep": "",
        "sys/block/mmcblk0/size": "62333952\n",
        "sys/block/mmcblk0/device/manfid": "0x000003\n",
        "sys/block/mmcblk0/device/oemid": "0x5344\n",
        "sys/block/mmcblk0/device/name": "SU32G\n",
        "sys/block/mmcblk0/device/hwrev": "0x8\n",
        "sys/block/mmcblk0/device/fwrev": "0x0\n",
        "sys/block/mmcblk0/device/serial": "0x0046ba46\n",
        "sys/block/mmcblk0/device/date": "04/2018\n",
    })
    (root / "sys/class/net/can0/device").mkdir(parents=True)
    (root / "sys/class/net/can0/device/driver").symlink_to(root / "sys/bus/spi/drivers/mcp251x")
    return HostPaths(root)


class SystemInfoTests(SynchronousTestCase):
    def test_cpu_info_from_cpuinfo_and_meminfo(self) -> None:
        info = cpu_info(pi_tree(self))
        self.assertEqual(info["cpu_count"], 2)
        self.assertEqual(info["cpu_desc"], "ARMv7 Processor rev 4 (v7l)")
        self.assertEqual(info["serial_number"], "b898bdb4")  # leading zeros dropped, as Moonraker shows it
        self.assertEqual(info["hardware_desc"], "BCM2835")
        self.assertEqual(info["model"], "Raspberry Pi 3 Model B Rev 1.2")
        self.assertEqual((info["total_memory"], info["memory_units"]), (945364, "kB"))
        self.assertIn(info["bits"], ("32bit", "64bit"))

    def test_cpu_model_falls_back_to_device_tree(self) -> None:
        paths = HostPaths(write_tree(temp_dir(self), {
            "proc/cpuinfo": "processor\t: 0\n", "proc/device-tree/model": "Raspberry Pi 4 Model B Rev 1.4\x00"}))
        self.assertEqual(cpu_info(paths)["model"], "Raspberry Pi 4 Model B Rev 1.4")

    def test_sd_card_identity_and_capacity(self) -> None:
        self.assertEqual(sd_info(pi_tree(self)), {
            "manufacturer_id": "03",
            "manufacturer": "Sandisk",
            "oem_id": "5344",
            "product_name": "SU32G",
            "product_revision": "8.0",
            "serial_number": "46ba46",
            "manufacturer_date": "4/2018",
            "capacity": "29.7 GiB",
            "total_bytes": 31914983424,
        })

    def test_distribution_from_os_release(self) -> None:
        self.assertEqual(distribution(pi_tree(self)), {
            "name": "Raspbian GNU/Linux 10 (buster)",
            "id": "raspbian",
            "version": "10",
            "version_parts": {"major": "10", "minor": "", "build_number": ""},
            "like": "debian",
            "codename": "buster",
            "release_info": {},
            "kernel_version": "5.10.103-v7+",
        })

    def test_release_info_from_the_distributions_own_release_file(self) -> None:
        root = write_tree(temp_dir(self), {
            "etc/os-release": OS_RELEASE,
            "etc/lsb-release": "DISTRIB_ID=Ubuntu\n",
            "etc/redhat-release": "Fedora release 39 (Thirty Nine)\n",
            "etc/fedora-release": "Fedora release 39 (Thirty Nine)\nsecond line\n",
        })
        self.assertEqual(distribution(HostPaths(root))["release_info"],
                         {"name": "Fedora", "version_id": "39", "codename": "Thirty Nine", "id": "fedora"})

    def test_release_lines_as_the_distro_package_reads_them(self) -> None:
        self.assertEqual(parse_release_line("CentOS Linux release 7.9.2009 (Core)"),
                         {"name": "CentOS Linux", "version_id": "7.9.2009", "codename": "Core"})
        self.assertEqual(parse_release_line("Arch Linux"), {"name": "Arch Linux"})
        self.assertEqual(parse_release_line("Gentoo Base System release 2.14"),
                         {"name": "Gentoo Base System", "version_id": "2.14"})
        self.assertEqual(parse_release_line(""), {})

    def test_os_release_quoting(self) -> None:
        parsed = parse_os_release("NAME='Arch Linux'\n# comment\nBROKEN\nVERSION_ID=\"1.2.3\"\nX=\"unterminated\n")
        self.assertEqual(parsed, {"NAME": "Arch Linux", "VERSION_ID": "1.2.3"})

    def test_network_lists_ethernet_interfaces_that_are_up_with_addresses(self) -> None:
        result = network(pi_tree(self))
        self.assertEqual(sorted(result), ["eth0", "wlan0"])
        self.assertEqual(result["wlan0"], {
            "mac_address": "b8:27:eb:00:11:22",
            "ip_addresses": [
                {"family": "ipv4", "address": "192.168.1.127", "is_link_local": False},
                {"family": "ipv6", "address": "fe80::211:2233:4455:6677", "is_link_local": True},
                {"family": "ipv6", "address": "2001:db8::5", "is_link_local": False},
            ],
        })
        self.assertEqual(result["eth0"]["ip_addresses"],
                         [{"family": "ipv4", "address": "169.254.3.4", "is_link_local": True}])

    def test_canbus_interfaces(self) -> None:
        self.assertEqual(canbus(pi_tree(self)),
                         {"can0": {"tx_queue_len": 128, "bitrate": None, "driver": "mcp251x"}})

    def test_own_systemd_unit_from_cgroup(self) -> None:
        self.assertEqual(own_unit(pi_tree(self)), "moonraker-2")

    def test_empty_host_gives_empty_fields(self) -> None:
        paths = HostPaths(temp_dir(self))
        self.assertEqual(sd_info(paths), {})
        self.assertEqual(network(paths), {})
        self.assertEqual(canbus(paths), {})
        self.assertEqual(distribution(paths)["name"], "")
        self.assertEqual(distribution(paths)["release_info"], {})
        self.assertEqual(distribution(paths)["kernel_version"], "")
        self.assertIsNone(cpu_info(paths)["total_memory"])
        self.assertEqual(virtualization(paths), {"virt_type": "none", "virt_identifier": "none"})
        self.assertIsNone(own_unit(paths))


class VirtualizationTests(SynchronousTestCase):
    def detect(self, files: dict[str, str]) -> dict[str, str]:
        return virtualization(HostPaths(write_tree(temp_dir(self), files)))

    def test_docker(self) -> None:
        self.assertEqual(self.detect({".dockerenv": ""}), {"virt_type": "container", "virt_identifier": "docker"})

    def test_podman(self) -> None:
        self.assertEqual(self.detect({"run/.containerenv": ""})["virt_identifier"], "podman")

    def test_systemd_container_marker(self) -> None:
        self.assertEqual(self.detect({"run/systemd/container": "lxc\n"})["virt_identifier"], "lxc")

    def test_kvm_from_dmi(self) -> None:
        self.assertEqual(self.detect({"sys/class/dmi/id/sys_vendor": "QEMU\n",
                                      "sys/class/dmi/id/product_name": "Standard PC"}),
                         {"virt_type": "vm", "virt_identifier": "qemu"})

    def test_unknown_hypervisor_from_cpu_flags(self) -> None:
        self.assertEqual(self.detect({"proc/cpuinfo": "flags\t\t: fpu vme hypervisor lahf_lm\n"}),
                         {"virt_type": "vm", "virt_identifier": "vm-other"})
