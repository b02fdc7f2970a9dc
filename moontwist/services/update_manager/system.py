"""The ``system`` entry: the host's package updates, through ``apt-get`` run with ``sudo -n``."""

from __future__ import annotations

import re
from typing import Any

from moontwist.processes import ProcessError, check, run
from moontwist.services.update_manager.base import Progress, Store, Updater, UpdateError

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
UPGRADABLE = re.compile(r"^(?P<name>[^/\s]+)/\S+\s+(?P<version>\S+)\s+\S+\s+\[upgradable from: (?P<current>[^\]]+)\]")


def parse_upgradable(text: str) -> list[dict[str, str]]:
    """``apt list --upgradable`` lines -> [{name, version, current_version}]."""
    found = []
    for line in text.splitlines():
        match = UPGRADABLE.match(line.strip())
        if match:
            found.append({"name": match["name"], "version": match["version"],
                          "current_version": match["current"]})
    return found


class SystemUpdater(Updater):
    configured_type = "system"

    def __init__(self, reactor: Any, store: Store, refresh_interval: float) -> None:
        super().__init__("system", store, refresh_interval)
        self.reactor = reactor
        self.packages: list[dict[str, str]] = list(store.get("packages", []))

    async def initialize(self) -> None:
        """The package lists already on disk; ``apt-get update`` waits for a refresh."""
        await self._read_upgradable()

    async def _read_upgradable(self) -> None:
        try:
            result = await run(self.reactor, ["apt", "list", "--upgradable"], env=APT_ENV, timeout=120.0)
        except ProcessError:
            self.packages = []
            return
        self.packages = parse_upgradable(result.stdout) if result.ok else []

    async def refresh(self, now: float) -> None:
        try:
            await check(self.reactor, ["sudo", "-n", "apt-get", "update"], env=APT_ENV, timeout=600.0)
        except ProcessError as error:
            await self.store.save(last_refresh_time=now)
            raise UpdateError(f"Unable to refresh system packages: {error}") from None
        await self._read_upgradable()
        await self.store.save(last_refresh_time=now, packages=self.packages)

    async def update(self, progress: Progress) -> bool:
        await self.refresh(self.reactor.seconds())
        if not self.packages:
            progress("No system packages to upgrade")
            return False
        progress(f"Upgrading {len(self.packages)} system packages...")
        try:
            await check(self.reactor, ["sudo", "-n", "apt-get", "upgrade", "--yes",
                                       "-o", "Dpkg::Options::=--force-confdef",
                                       "-o", "Dpkg::Options::=--force-confold"],
                        env=APT_ENV, timeout=3600.0, on_line=progress)
        except ProcessError as error:
            raise UpdateError(f"System upgrade failed: {error}") from None
        await self._read_upgradable()
        await self.store.save(packages=self.packages)
        return True

    def status(self) -> dict[str, Any]:
        return {"package_count": len(self.packages),
                "package_list": [package["name"] for package in self.packages],
                "package_versions": self.packages}
