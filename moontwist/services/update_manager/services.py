"""Restarting the services an application names in ``managed_services``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moontwist.processes import ProcessError, check
from moontwist.services.update_manager.base import Progress, UpdateError
from moontwist.systemd import unit_of

RESTART_TIMEOUT = 60.0


async def restart_services(reactor: Any, services: list[str], progress: Progress,
                           cgroup: Path = Path("/proc/self/cgroup")) -> None:
    """``sudo -n systemctl restart`` each service; moontwist itself (``moonraker``: the unit it
    runs in, whatever its name) last."""
    for service in sorted(services, key=lambda name: name == "moonraker"):
        if service == "moonraker":
            try:
                own = unit_of(cgroup.read_text())
            except OSError:
                own = None
            if own is None:
                progress("moontwist does not run as a systemd service: restart it to run the new version")
                continue
            service = own
        progress(f"Restarting service {service}...")
        try:
            await check(reactor, ["sudo", "-n", "systemctl", "restart", service], timeout=RESTART_TIMEOUT)
        except ProcessError as error:
            raise UpdateError(f"Unable to restart {service}: {error}") from None


async def install_system_packages(reactor: Any, packages: list[str], progress: Progress) -> None:
    """``sudo -n apt-get install`` the packages an application depends on."""
    if not packages:
        return
    progress(f"Installing system dependencies: {' '.join(packages)}")
    try:
        await check(reactor, ["sudo", "-n", "apt-get", "install", "--yes", *packages],
                    env={"DEBIAN_FRONTEND": "noninteractive"}, timeout=1200.0, on_line=progress)
    except ProcessError as error:
        raise UpdateError(f"Unable to install system packages: {error}") from None
