"""The host facts of ``machine.system_info`` that do not depend on a provider."""

from __future__ import annotations

import sys
from typing import Any

from moontwist.services.machine.cpu import cpu_info
from moontwist.services.machine.distribution import distribution
from moontwist.services.machine.host import HostPaths, read_text
from moontwist.services.machine.network import canbus, network
from moontwist.services.machine.sdcard import sd_info
from moontwist.services.machine.virtualization import virtualization
from moontwist.systemd import unit_of


def static_info(paths: HostPaths) -> dict[str, Any]:
    """Facts that stay put while we run: read once at start."""
    return {
        "cpu_info": cpu_info(paths),
        "sd_info": sd_info(paths),
        "distribution": distribution(paths),
        "virtualization": virtualization(paths),
        "python": {"version": list(sys.version_info), "version_string": sys.version.replace("\n", " ")},
    }


def live_info(paths: HostPaths) -> dict[str, Any]:
    """Facts that can change (interfaces come and go): read on every request."""
    return {"network": network(paths), "canbus": canbus(paths)}


def own_unit(paths: HostPaths) -> str | None:
    """The systemd unit we run in (``moonraker`` of ``.../moonraker.service``), from our cgroup."""
    return unit_of(read_text(paths.proc("self", "cgroup")) or "")
