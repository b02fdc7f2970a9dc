"""What the web, zip and python updaters share: versions kept as release folders.

Each version lives in its own folder beside the configured path, which is a
link to the current one (``releases.ReleaseFolder``). Switching is journalled
in the store (``previous_release``, ``installing``) so an interrupted switch is
settled at start-up, the version left is kept for ``rollback``, and the
others are pruned.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.threads import deferToThread

from moontwist.services.update_manager.base import Progress, Updater, UpdateError
from moontwist.services.update_manager.releases import ReleaseFolder


class ReleaseUpdater(Updater):
    reactor: Any
    folder: ReleaseFolder
    version: str
    last_error: str | None

    async def _refresh_failed(self, message: str, now: float) -> None:
        """Remember why asking the remote failed; the refresh still counts as done."""
        self.last_error = message
        await self.store.save(last_refresh_time=now)

    async def _remote_to_install(self, progress: Progress) -> str | None:
        """Refresh, then the remote version, or None (said in ``progress``) when it is installed."""
        await self.refresh(self.reactor.seconds())
        remote: str = self.store.get("remote_version")
        if remote == self.version:
            progress(f"{self.name} is already up to date ({remote})")
            return None
        return remote

    async def rollback(self, progress: Progress) -> None:
        target = self.store.get("rollback")
        if not target or not self.folder.release(target).is_dir():
            raise UpdateError(f"No rollback version available for {self.name}", 400)
        progress(f"Rolling back {self.name} to {target}...")
        await self._switch_to(target, progress)
        await self._after_switch(progress)

    async def _switch_to(self, version: str, progress: Progress) -> None:
        current = await deferToThread(self.folder.adopt, self.version)
        await self.store.save(previous_release=current, installing=version)
        await deferToThread(self._activate, version)
        await self.store.save(rollback=current, previous_release=None, installing=None)
        await deferToThread(self.folder.prune, {version, current})
        await self._read_version()
        self.last_error = None
        progress(f"{self.name} is now at {self.version}")

    def _activate(self, version: str) -> None:
        """Make ``version``'s folder the current one (in a thread)."""
        self.folder.switch(version)

    async def _read_version(self) -> None:
        """Set ``version`` from what is installed now."""
        raise NotImplementedError

    async def _after_switch(self, progress: Progress) -> None:
        """What follows a switch to another version (requirements, service restarts)."""
