"""moontwist's own ``moonraker`` entry when it comes from a git clone (``self_source.py``).

A ``git_repo`` entry whose remote and branch are the clone's own, read from git
at start-up (no network), rather than configured. After an update or rollback
the clone is installed again into moontwist's virtualenv (``pip install -e``,
compat mode as ``scripts/install`` does, so twistd still finds the plugin)
when its packaging changed, or when the running copy is not the clone's own
tree yet, then moontwist's service is restarted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from moontwist.services.update_manager.base import Progress, Store, UpdateError
from moontwist.services.update_manager.git_repo import REMOTE, GitRepoUpdater
from moontwist.services.update_manager.git import GitError
from moontwist.services.update_manager.self_source import SelfSource
from moontwist.services.update_manager.settings import AppSettings, GitSettings

PACKAGING = frozenset({"setup.cfg", "setup.py", "pyproject.toml"})
DEFAULT_BRANCH = "master"


def self_repo_settings(app: AppSettings, source: SelfSource) -> GitSettings:
    """The remote and branch are filled in by ``SelfRepoUpdater.initialize``."""
    assert source.clone is not None
    return GitSettings(app, source.clone, "", "", None, None, source.virtualenv, None, None)


class SelfRepoUpdater(GitRepoUpdater):
    def __init__(self, reactor: Any, settings: GitSettings, store: Store, source: SelfSource) -> None:
        super().__init__(reactor, settings, store)
        self.source = source

    async def initialize(self) -> None:
        if (self.settings.path / ".git").exists():
            await self._discover_remote()
        await super().initialize()

    async def _discover_remote(self) -> None:
        """The clone's own remote and branch (a detached clone: the remote's default branch)."""
        origin = await self._git_line("remote", "get-url", REMOTE)
        branch = (await self._git_line("symbolic-ref", "--quiet", "--short", "HEAD")
                  or (await self._git_line("symbolic-ref", "--quiet", "--short", f"refs/remotes/{REMOTE}/HEAD")
                      ).removeprefix(f"{REMOTE}/")
                  or DEFAULT_BRANCH)
        self.settings = replace(self.settings, origin=origin, primary_branch=branch)

    async def _git_line(self, *args: str) -> str:
        try:
            return await self.git.output(*args)
        except GitError:
            return ""

    def _no_remote(self) -> str | None:
        if not self.local.valid or self.settings.origin:
            return None
        return (f"moontwist's clone at {self.settings.path} has no remote '{REMOTE}' to update from "
                f"(git remote add {REMOTE} URL)")

    def warnings(self) -> list[str]:
        missing = self._no_remote()
        return [missing, *super().warnings()] if missing else super().warnings()

    def anomalies(self) -> list[str]:
        found = super().anomalies()
        return [item for item in found if not item.startswith("Unofficial")] if self._no_remote() else found

    def is_valid(self) -> bool:
        return self._no_remote() is None and super().is_valid()

    def _check_updatable(self) -> None:
        missing = self._no_remote()
        if missing:
            raise UpdateError(missing, 503)
        super()._check_updatable()

    async def _install(self, changed: set[str], progress: Progress) -> None:
        await super()._install(changed, progress)
        if self.source.editable and not changed & PACKAGING:
            return
        venv = self.source.virtualenv
        progress(f"Installing moontwist from {self.settings.path} into {venv}...")
        pip = venv / "bin" / "pip"
        await self._run_step([str(pip), "install", "--disable-pip-version-check", "-e", str(self.settings.path),
                              "--config-settings", "editable_mode=compat"], progress)
        self.source = replace(self.source, editable=True)
