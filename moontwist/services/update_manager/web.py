"""``type: web`` / ``web_beta``: a web client (Mainsail, Fluidd) installed from GitHub release zips.

The zip is downloaded beside the folder, its sha256 checked against the
digest GitHub publishes for the asset, unpacked into a new release folder
with the ``persistent_files`` carried over, and swapped in with one atomic
link replacement (``releases.ReleaseFolder``); the previous release is kept
for ``rollback``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from twisted.internet.threads import deferToThread

from moontwist.processes import ProcessError, check
from moontwist.services.update_manager.base import Progress, Store, UpdateError
from moontwist.services.update_manager.github import GitHub
from moontwist.services.update_manager.release_updater import ReleaseUpdater
from moontwist.services.update_manager.releases import ReleaseFolder
from moontwist.services.update_manager.services import restart_services
from moontwist.services.update_manager.settings import WebSettings

RELEASE_INFO = "release_info.json"


class WebUpdater(ReleaseUpdater):
    configured_type = "web"

    def __init__(self, reactor: Any, settings: WebSettings, store: Store, github: GitHub) -> None:
        super().__init__(settings.app.name, store, settings.app.refresh_interval)
        self.reactor = reactor
        self.settings = settings
        self.github = github
        self.folder = ReleaseFolder(settings.path)
        self.owner, self.project = settings.repo.split("/")
        self.version = "?"
        self.info: dict[str, Any] = {}
        self.last_error: str | None = None
        self.warnings_found: list[str] = []

    @property
    def channel(self) -> str:
        return self.settings.app.channel

    async def initialize(self) -> None:
        fallback = [self.store.get("previous_release"), self.store.get("installing")]
        await deferToThread(self._settle, [name for name in fallback if name])
        if self.store.get("installing"):
            self.last_error = f"An update to {self.store.get('installing')} was interrupted; the previous version is kept"
            await self.store.save(installing=None, previous_release=None)
        await deferToThread(self._read_release_info)

    def _settle(self, fallback: list[str]) -> None:
        """Drop downloads a crash left behind, then let the release folder settle."""
        for leftover in self.settings.path.parent.glob(f".{self.name}-download-*"):
            _remove_tree(leftover)
        self.folder.settle(fallback)

    def _read_release_info(self) -> None:
        self.warnings_found = []
        try:
            self.info = json.loads((self.settings.path / RELEASE_INFO).read_text())
            self.version = str(self.info.get("version", "?"))
        except (OSError, ValueError):
            self.info, self.version = {}, "?"
            self.warnings_found.append(f"No valid {RELEASE_INFO} in {self.settings.path}")

    def status(self) -> dict[str, Any]:
        rollback = self.store.get("rollback")
        anomalies: list[str] = []
        if self.info and (self.info.get("project_owner"), self.info.get("project_name")) != (self.owner, self.project):
            anomalies.append(f"Installed release is from {self.info.get('project_owner')}/"
                             f"{self.info.get('project_name')}, configured repo is {self.settings.repo}")
        return {
            "name": self.name,
            "repo_name": self.project,
            "owner": self.owner,
            "version": self.version,
            "remote_version": self.store.get("remote_version", "?"),
            "rollback_version": rollback or "?",
            "configured_type": self.settings.app.type,
            "channel": self.channel,
            "debug_enabled": False,
            "channel_invalid": False,
            "is_valid": bool(self.info) and not anomalies,
            "info_tags": self.settings.app.info_tags,
            "last_error": self.last_error or "",
            "warnings": list(self.warnings_found),
            "anomalies": anomalies if self.settings.app.report_anomalies else [],
        }

    async def refresh(self, now: float) -> None:
        await deferToThread(self._read_release_info)
        try:
            if self.channel == "beta":
                releases = await self.github.get_json(f"repos/{self.settings.repo}/releases?per_page=1")
                release = releases[0] if isinstance(releases, list) and releases else None
            else:
                release = await self.github.get_json(f"repos/{self.settings.repo}/releases/latest")
        except UpdateError as error:
            await self._refresh_failed(error.message, now)
            raise
        asset = self._asset(release) if isinstance(release, dict) else None
        if asset is None:
            message = f"No release asset {self._asset_name()} found for {self.settings.repo}"
            await self._refresh_failed(message, now)
            raise UpdateError(message, 503)
        digest = str(asset.get("digest") or "")
        self.last_error = None
        await self.store.save(last_refresh_time=now, remote_version=str(release.get("tag_name", "?")),
                              download_url=asset.get("browser_download_url"),
                              download_sha256=digest.removeprefix("sha256:") if digest.startswith("sha256:") else None)

    def _asset_name(self) -> str:
        return str(self.info.get("asset_name") or f"{self.project}.zip")

    def _asset(self, release: dict[str, Any]) -> dict[str, Any] | None:
        for asset in release.get("assets") or []:
            if isinstance(asset, dict) and asset.get("name") == self._asset_name():
                return asset
        return None

    async def update(self, progress: Progress) -> bool:
        remote = await self._remote_to_install(progress)
        if remote is None:
            return False
        progress(f"Downloading {self.name} {remote}...")
        work = Path(tempfile.mkdtemp(prefix=f".{self.name}-download-", dir=self.settings.path.parent))
        try:
            archive = work / self._asset_name()
            digest = await self.github.download(self.store.get("download_url"), archive)
            expected = self.store.get("download_sha256")
            if expected is None:
                progress("GitHub publishes no checksum for this asset; the archive is checked by its zip CRCs only")
            elif digest != expected:
                raise UpdateError(f"Checksum mismatch for {self._asset_name()}: expected {expected}, got {digest}")
            else:
                progress("Checksum verified (sha256)")
            progress(f"Unpacking {self._asset_name()}...")
            try:
                await deferToThread(self.folder.unpack, archive, remote, self.settings.persistent_files)
            except (OSError, ValueError) as error:
                raise UpdateError(f"Unable to unpack {self._asset_name()}: {error}") from None
        finally:
            await deferToThread(_remove_tree, work)
        await self._switch_to(remote, progress)
        await self._after_switch(progress)
        return True

    async def _read_version(self) -> None:
        await deferToThread(self._read_release_info)

    def _activate(self, version: str) -> None:
        release = self.folder.release(version)
        info_path = release / RELEASE_INFO
        if not info_path.exists():
            info_path.write_text(json.dumps({"project_name": self.project, "project_owner": self.owner,
                                             "version": version}))
        self.folder.switch(version)


class ZipUpdater(WebUpdater):
    """``type: zip``: an application shipped as a release zip; its requirements and services follow."""

    configured_type = "zip"

    async def _after_switch(self, progress: Progress) -> None:
        venv, requirements = self.settings.virtualenv, self.settings.requirements
        if venv is not None and requirements is not None:
            progress("Installing Python requirements...")
            try:
                await check(self.reactor, [str(venv / "bin" / "pip"), "install", "-r",
                                           str(self.settings.path / requirements)],
                            timeout=1800.0, on_line=progress)
            except ProcessError as error:
                raise UpdateError(str(error)) from None
        await restart_services(self.reactor, self.settings.app.managed_services, progress)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
