"""``type: python``: a package installed in its own virtualenv from a package index (PyPI).

The virtualenv path becomes a symlink to ``.<name>.releases/<version>``: a new
version gets a new virtualenv built beside the running one, checked (the
package imports and reports the expected version), then swapped in with one
atomic link replacement; the previous virtualenv stays for ``rollback``. The
``moonraker`` entry is moontwist itself, installed this way.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from twisted.internet.threads import deferToThread

from moontwist.processes import ProcessError, check, run
from moontwist.services.update_manager.base import Progress, Store, UpdateError
from moontwist.services.update_manager.github import GitHub, NotFound
from moontwist.services.update_manager.release_updater import ReleaseUpdater
from moontwist.services.update_manager.releases import ReleaseFolder
from moontwist.services.update_manager.services import restart_services
from moontwist.services.update_manager.settings import PythonSettings

PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
VERSION_SCRIPT = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"


def is_prerelease(version: str) -> bool:
    return any(marker in version for marker in ("a", "b", "rc", "dev"))


class PythonUpdater(ReleaseUpdater):
    configured_type = "python"

    def __init__(self, reactor: Any, settings: PythonSettings, store: Store, index: GitHub) -> None:
        super().__init__(settings.app.name, store, settings.app.refresh_interval)
        self.reactor = reactor
        self.settings = settings
        self.index = index
        self.folder = ReleaseFolder(settings.virtualenv)
        self.version = "?"
        self.last_error: str | None = None

    @property
    def python(self) -> Path:
        return self.settings.virtualenv / "bin" / "python"

    async def initialize(self) -> None:
        fallback = [self.store.get("previous_release"), self.store.get("installing")]
        installing = self.store.get("installing")
        await deferToThread(self.folder.settle, [name for name in fallback if name])
        if installing and installing != self.folder.current():
            await deferToThread(shutil.rmtree, self.folder.release(installing), True)
            self.last_error = f"An update to {installing} was interrupted; the previous version is kept"
        if installing:
            await self.store.save(installing=None, previous_release=None)
        self.version = await self._installed_version(self.python)

    async def _installed_version(self, python: Path) -> str:
        if not python.exists():
            return "?"
        try:
            result = await run(self.reactor, [str(python), "-c", VERSION_SCRIPT, self.settings.distribution],
                               timeout=60.0)
        except ProcessError:
            return "?"
        return result.stdout.strip() if result.ok else "?"

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "configured_type": self.configured_type,
            "detected_type": "python",
            "channel": self.settings.app.channel,
            "debug_enabled": False,
            "channel_invalid": False,
            "is_valid": self.version != "?",
            "info_tags": self.settings.app.info_tags,
            "repo_name": self.settings.project_name,
            "owner": "?",
            "version": self.version,
            "remote_version": self.store.get("remote_version", "?"),
            "rollback_version": self.store.get("rollback") or "?",
            "current_hash": self.version,
            "remote_hash": self.store.get("remote_version", "?"),
            "is_dirty": False,
            "corrupt": False,
            "detached": False,
            "commits_behind": [],
            "git_messages": [],
            "full_version_string": self.version,
            "pristine": True,
            "last_error": self.last_error or "",
            "warnings": [self.last_error] if self.last_error else [],
            "anomalies": [],
        }

    async def refresh(self, now: float) -> None:
        self.version = await self._installed_version(self.python)
        project = self.settings.distribution
        try:
            data = await self.index.get_json_from(f"{self.settings.index_url}/pypi/{project}/json")
        except NotFound:
            message = f"{project} is not published on {self.settings.index_url}: nothing to update it from"
            await self._refresh_failed(message, now)
            raise UpdateError(message, 503) from None
        except UpdateError as error:
            await self._refresh_failed(error.message, now)
            raise
        versions = [version for version, files in (data.get("releases") or {}).items() if files]
        if self.settings.app.channel == "stable":
            versions = [version for version in versions if not is_prerelease(version)]
        latest = max(versions, key=_version_key, default=str(data.get("info", {}).get("version", "?")))
        self.last_error = None
        await self.store.save(last_refresh_time=now, remote_version=latest)

    async def update(self, progress: Progress) -> bool:
        remote = await self._remote_to_install(progress)
        if remote is None:
            return False
        target = self.folder.release(remote)
        await self.store.save(installing=remote)
        try:
            await self._build(target, remote, progress)
        except UpdateError:
            await deferToThread(shutil.rmtree, target, True)
            await self.store.save(installing=None)
            raise
        await self._switch_to(remote, progress)
        await self._after_switch(progress)
        return True

    async def _build(self, target: Path, version: str, progress: Progress) -> None:
        await deferToThread(shutil.rmtree, target, True)
        await deferToThread(target.parent.mkdir, 0o777, True, True)
        progress(f"Creating a new virtualenv for {self.settings.project_name} {version}...")
        await self._step([sys.executable, "-m", "venv", str(target)], progress)
        pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--index-url",
               f"{self.settings.index_url}/simple"]
        if self.settings.requirements is not None:
            progress("Installing requirements...")
            await self._step([*pip, "-r", str(self.settings.requirements)], progress)
        progress(f"Installing {self.settings.project_name}=={version}...")
        await self._step([*pip, f"{self.settings.project_name}=={version}"], progress)
        installed = await self._installed_version(target / "bin" / "python")
        if installed != version:
            raise UpdateError(f"The new virtualenv reports {self.settings.distribution} {installed}, "
                              f"expected {version}")
        progress(f"Verified {self.settings.distribution} {installed} in the new virtualenv")

    async def _step(self, argv: list[str], progress: Progress) -> None:
        try:
            await check(self.reactor, argv, env=PIP_ENV, timeout=1800.0, on_line=progress)
        except ProcessError as error:
            raise UpdateError(str(error)) from None

    async def _read_version(self) -> None:
        self.version = await self._installed_version(self.python)

    async def _after_switch(self, progress: Progress) -> None:
        await restart_services(self.reactor, self.settings.app.managed_services, progress)


def _version_key(version: str) -> tuple[int, ...]:
    """Release segments as numbers ("1.10.2" > "1.9"); a pre-release sorts by its numbers only."""
    numbers = []
    for piece in version.split("."):
        digits = ""
        for character in piece:
            if not character.isdigit():
                break
            digits += character
        numbers.append(int(digits or 0))
    return tuple(numbers)
