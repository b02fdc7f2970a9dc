"""``virtualization`` of ``machine.system_info``: container or VM, from marker files and DMI.

The identifiers are those ``systemd-detect-virt`` prints, found without running it.
"""

from __future__ import annotations

from moontwist.services.machine.host import HostPaths, read_stripped, read_text

DMI_FILES = ("sys_vendor", "product_name", "board_vendor", "bios_vendor")
DMI_VENDORS = (
    ("KVM", "kvm"),
    ("QEMU", "qemu"),
    ("VMware", "vmware"),
    ("VMW", "vmware"),
    ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"),
    ("Oracle Corporation", "oracle"),
    ("Xen", "xen"),
    ("Bochs", "bochs"),
    ("Parallels", "parallels"),
    ("BHYVE", "bhyve"),
    ("Microsoft Corporation", "microsoft"),
    ("Amazon EC2", "amazon"),
)


def virtualization(paths: HostPaths) -> dict[str, str]:
    container = detect_container(paths)
    if container:
        return {"virt_type": "container", "virt_identifier": container}
    vm = detect_vm(paths)
    if vm:
        return {"virt_type": "vm", "virt_identifier": vm}
    return {"virt_type": "none", "virt_identifier": "none"}


def detect_container(paths: HostPaths) -> str:
    if paths.path("/run/.containerenv").exists():
        return "podman"
    if paths.path("/.dockerenv").exists():
        return "docker"
    marker = read_stripped(paths.path("/run/systemd/container"))
    if marker:
        return marker
    environ = read_text(paths.proc("1", "environ")) or ""
    for entry in environ.split("\x00"):
        if entry.startswith("container="):
            return entry.partition("=")[2] or "container-other"
    release = read_stripped(paths.proc("sys", "kernel", "osrelease")) or ""
    if "microsoft" in release.lower():
        return "wsl"
    return ""


def detect_vm(paths: HostPaths) -> str:
    for name in DMI_FILES:
        text = read_stripped(paths.sys("class", "dmi", "id", name)) or ""
        for marker, identifier in DMI_VENDORS:
            if text.startswith(marker):
                return identifier
    cpuinfo = read_text(paths.proc("cpuinfo")) or ""
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and " hypervisor" in line:
            return "vm-other"
    return ""
