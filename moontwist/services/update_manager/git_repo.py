"""``type: git_repo``: an application that is a git working tree (Klipper, KlipperScreen…).

An update is a transaction recorded in the database before it starts: the
commit the tree leaves (``transaction.from``). The old commit stays in the
object store, so a crash at any step is undone at the next start, offline, by
returning the tree to that commit; once the new tree is verified the old
commit becomes the ``rollback`` target. A damaged repository is reported as
``corrupt`` with the exact ``machine.update.recover`` call that repairs it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from twisted.internet.threads import deferToThread

from moontwist.processes import ProcessError, check
from moontwist.services.update_manager.base import Progress, Store, Updater, UpdateError
from moontwist.services.update_manager.git import Commit, Git, GitError, LocalState, Version
from moontwist.services.update_manager.services import install_system_packages, restart_services
from moontwist.services.update_manager.settings import GitSettings

REMOTE = "origin"
RECOVERED_SUFFIX = ".recovered"
BROKEN_SUFFIX = ".broken"


def owner_and_name(url: str) -> tuple[str, str]:
    """``https://github.com/Klipper3d/klipper.git`` -> ("Klipper3d", "klipper")."""
    path = urlparse(url).path if "://" in url else url.rpartition(":")[2]
    parts = [part for part in path.rstrip("/").split("/") if part]
    if not parts:
        return "?", "?"
    name = parts[-1].removesuffix(".git")
    return (parts[-2] if len(parts) > 1 else "?"), name


def distro_id(os_release: Path = Path("/etc/os-release")) -> str:
    try:
        for line in os_release.read_text().splitlines():
            if line.startswith("ID="):
                return line[3:].strip().strip('"')
    except OSError:
        pass
    return ""


class GitRepoUpdater(Updater):
    configured_type = "git_repo"

    def __init__(self, reactor: Any, settings: GitSettings, store: Store) -> None:
        super().__init__(settings.app.name, store, settings.app.refresh_interval)
        self.reactor = reactor
        self.settings = settings
        self.git = Git(reactor, settings.path)
        self.local = LocalState()
        self.behind: list[Commit] = []
        self.behind_count = 0
        self.fetched: tuple[str, str] | None = None
        self.last_error: str | None = None

    # -- state

    @property
    def remote_ref(self) -> str:
        return f"{REMOTE}/{self.settings.primary_branch}"

    @property
    def channel(self) -> str:
        return self.settings.app.channel

    async def initialize(self) -> None:
        await deferToThread(self._settle_recovery_swap)
        await self._finish_interrupted()
        await self._read_local()

    def _settle_recovery_swap(self) -> None:
        """Finish a hard recovery a crash interrupted: the fresh clone was complete once renamed."""
        path = self.settings.path
        recovered = path.with_name(path.name + RECOVERED_SUFFIX)
        broken = path.with_name(path.name + BROKEN_SUFFIX)
        if not path.exists() and recovered.exists():
            recovered.rename(path)
        for leftover in (recovered, broken):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)

    async def _finish_interrupted(self) -> None:
        transaction = self.store.get("transaction")
        if not transaction:
            return
        origin = transaction["from"]
        try:
            await self.git.run("reset", "--hard", "--quiet", origin)
        except GitError as error:
            self.last_error = (f"An update interrupted at {time.ctime(transaction['started'])} could not be "
                               f"undone: {error}; machine.update.recover (name={self.name}, hard=false) "
                               f"returns the repo to a clean state")
            return
        self.last_error = (f"An update to {transaction['to'][:8]} was interrupted; "
                           f"the repo was returned to {origin[:8]}")
        await self.store.save(transaction=None)

    async def _read_local(self) -> None:
        """Read the tree, then publish the whole state at once (a reader never sees half of it)."""
        local = await self.git.inspect(REMOTE)
        remote_hash = self.store.get("remote_hash")
        behind: tuple[list[Commit], int] = ([], 0)
        fetched = None
        if local.valid and not remote_hash:
            # Before the first refresh: the target as the clone's last fetch left it (no
            # network), so clients comparing hashes see no update from a "?".
            try:
                remote_hash = await self._target()
            except (GitError, UpdateError):
                remote_hash = None
            if remote_hash:
                fetched = (remote_hash, (await self.git.describe(remote_hash)).full)
        if local.valid and remote_hash and await self.git.resolve(remote_hash):
            behind = await self.git.commits_between(local.head, remote_hash)
        self.local, self.fetched = local, fetched
        self.behind, self.behind_count = behind

    def anomalies(self) -> list[str]:
        found = []
        local = self.local
        if local.valid and _normal_url(local.remote_url) != _normal_url(self.settings.origin):
            found.append(f"Unofficial remote url: {local.remote_url}")
        if local.valid and self.channel == "dev" and local.branch != self.settings.primary_branch \
                and not local.detached:
            found.append(f"Repo not on configured branch {self.settings.primary_branch} (on {local.branch})")
        if local.valid and self.channel == "dev" and local.detached and not self.settings.pinned_commit:
            found.append("Repo is detached (not on a branch)")
        if local.untracked:
            found.append(f"Repo has untracked source files: {', '.join(local.untracked[:10])}")
        return found

    def warnings(self) -> list[str]:
        found = []
        if self.local.corrupt:
            hard = not self.local.index_corrupt
            found.append(f"Repo at {self.settings.path} is corrupt. Repair it with "
                         f"machine.update.recover (name={self.name}, hard={'true' if hard else 'false'})"
                         f"{'' if not hard else '; objects still present are reused, the rest is cloned from ' + self.settings.origin}.")
        elif not self.local.valid:
            found.append(f"No valid git repository at {self.settings.path}: "
                         f"machine.update.recover (name={self.name}, hard=true) clones it from {self.settings.origin}.")
        if self.local.version.dirty:
            found.append("Repo has local modifications; machine.update.recover (hard=false) discards them.")
        if self.last_error:
            found.append(self.last_error)
        return found

    def is_valid(self) -> bool:
        if not self.local.valid or self.local.corrupt:
            return False
        return not any(item.startswith(("Unofficial", "Repo not on")) for item in self.anomalies())

    def status(self) -> dict[str, Any]:
        local = self.local
        owner, repo_name = owner_and_name(self.settings.origin)
        fetched_hash, fetched_version = self.fetched or ("?", "?")
        remote_version = Version(self.store.get("remote_version", fetched_version))
        rollback = self.store.get("rollback") or {}
        return {
            "channel": self.channel,
            "debug_enabled": False,
            "need_channel_update": False,
            "channel_invalid": False,
            "is_valid": self.is_valid(),
            "configured_type": self.configured_type,
            "detected_type": "git_repo" if local.valid or local.corrupt else "none",
            "corrupt": local.corrupt,
            "info_tags": self.settings.app.info_tags,
            "name": self.name,
            "repo_detected": local.valid or local.corrupt,
            "remote_alias": REMOTE,
            "branch": local.branch if not local.detached else self.settings.primary_branch,
            "owner": owner,
            "repo_name": repo_name,
            "remote_url": local.remote_url,
            "recovery_url": self.settings.origin,
            "version": local.version.short,
            "remote_version": remote_version.short,
            "rollback_version": Version(rollback.get("version", "?")).short,
            "current_hash": local.head,
            "remote_hash": self.store.get("remote_hash", fetched_hash),
            "is_dirty": local.version.dirty,
            "detached": local.detached,
            "commits_behind": [commit.as_dict() for commit in self.behind],
            "commits_behind_count": self.behind_count,
            "git_messages": local.messages,
            "full_version_string": local.version.full,
            "pristine": not local.untracked and not local.version.dirty,
            "warnings": self.warnings(),
            "anomalies": self.anomalies() if self.settings.app.report_anomalies else [],
        }

    # -- refresh

    async def refresh(self, now: float) -> None:
        await self._read_local()
        if not self.local.valid:
            await self.store.save(last_refresh_time=now)
            return
        try:
            await self.git.fetch(REMOTE)
            target = await self._target()
        except GitError as error:
            self.local.messages = [line for line in error.output.splitlines() if line.strip()][-5:]
            if error.corrupt:
                self.local.corrupt = True
            await self.store.save(last_refresh_time=now)
            raise UpdateError(f"Unable to refresh {self.name}: {error}") from None
        version = await self.git.describe(target)
        await self.store.save(last_refresh_time=now, remote_hash=target, remote_version=version.full)
        await self._read_local()

    async def _target(self) -> str:
        """The commit the channel points at: a pinned commit, the newest (stable) tag, or the branch head."""
        if self.settings.pinned_commit:
            commit = await self.git.resolve(self.settings.pinned_commit)
            if commit is None:
                raise UpdateError(f"Pinned commit {self.settings.pinned_commit} not found in {self.name}")
            return commit
        if await self.git.resolve(self.remote_ref) is None:
            raise UpdateError(f"Branch {self.settings.primary_branch} not found on {REMOTE} of {self.name}")
        if self.channel in ("stable", "beta"):
            tag = await self.git.latest_tag(self.remote_ref, stable_only=self.channel == "stable")
            if tag is not None:
                commit = await self.git.resolve(f"refs/tags/{tag}")
                assert commit is not None
                return commit
        commit = await self.git.resolve(self.remote_ref)
        assert commit is not None
        return commit

    # -- update and rollback

    def _check_updatable(self) -> None:
        if self.local.corrupt or not self.local.valid:
            raise UpdateError(" ".join(self.warnings()) or f"Repo {self.name} is not valid", 503)
        if self.local.version.dirty:
            raise UpdateError(f"Repo {self.name} has local modifications; "
                              f"machine.update.recover (hard=false) discards them", 503)
        if not self.is_valid():
            raise UpdateError(f"Repo {self.name} is not valid: {'; '.join(self.anomalies())}", 503)

    async def update(self, progress: Progress) -> bool:
        self.git.on_line = progress
        await self._read_local()
        self._check_updatable()
        progress(f"Updating Repo {self.name}...")
        await self.refresh(time.time())
        target = self.store.get("remote_hash")
        if target == self.local.head:
            progress(f"{self.name} is already up to date")
            return False
        await self._move_to(target, progress)
        return True

    async def rollback(self, progress: Progress) -> None:
        rollback = self.store.get("rollback")
        if not rollback:
            raise UpdateError(f"No rollback version available for {self.name}", 400)
        self.git.on_line = progress
        await self._read_local()
        self._check_updatable()
        progress(f"Rolling back {self.name} to {Version(rollback['version']).short}...")
        await self._move_to(rollback["commit"], progress)

    async def _move_to(self, target: str, progress: Progress) -> None:
        """Move the tree to ``target`` as one transaction (undone at start-up if interrupted)."""
        origin, origin_version = self.local.head, self.local.version.full
        await self.store.save(transaction={"from": origin, "to": target, "started": time.time()})
        try:
            await self._checkout(origin, target, progress)
            await self._verify(target)
        except (GitError, UpdateError) as error:
            progress(f"Update failed, returning to {origin[:8]}: {error}")
            await self._undo(origin)
            raise UpdateError(f"Error updating {self.name}: {error}") from None
        await self.store.save(transaction=None, rollback={"commit": origin, "version": origin_version})
        self.last_error = None
        await self._after_update(origin, target, progress)
        await self._read_local()

    async def _checkout(self, origin: str, target: str, progress: Progress) -> None:
        on_branch = self.channel == "dev" and not self.settings.pinned_commit and not self.local.detached
        if not on_branch:
            await self.git.run("-c", "advice.detachedHead=false", "checkout", "--detach", target, stream=True)
        elif await self.git.is_ancestor(origin, target):
            await self.git.run("merge", "--ff-only", target, stream=True)
        else:
            progress("Repo has diverged (forced push), resetting to the remote")
            await self.git.run("reset", "--hard", target, stream=True)

    async def _verify(self, target: str) -> None:
        local = await self.git.inspect(REMOTE)
        if not local.valid or local.head != target or local.version.dirty:
            raise UpdateError(f"the new tree did not verify ({'; '.join(local.messages) or 'unexpected state'})")

    async def _undo(self, origin: str) -> None:
        try:
            await self.git.run("reset", "--hard", "--quiet", origin)
        except GitError as error:
            self.last_error = f"Returning to {origin[:8]} failed: {error}"
            await self._read_local()
            return
        await self.store.save(transaction=None)
        await self._read_local()

    async def _after_update(self, origin: str, target: str, progress: Progress) -> None:
        await self._install(set(await self.git.changed_files(origin, target)), progress)
        await restart_services(self.reactor, self.settings.app.managed_services, progress)

    async def _install(self, changed: set[str], progress: Progress) -> None:
        """What the new tree needs installed, from the files that changed."""
        relative = self._relative
        dependencies = self.settings.system_dependencies
        if dependencies is not None and relative(dependencies) in changed:
            await install_system_packages(self.reactor, self._system_packages(dependencies), progress)
        script = self.settings.install_script
        if script is not None and relative(script) in changed:
            progress(f"Running install script {script.name}...")
            await self._run_step([str(script)], progress)
        requirements = self.settings.requirements
        if self.settings.virtualenv is not None and requirements is not None and relative(requirements) in changed:
            progress("Updating Python requirements...")
            pip = self.settings.virtualenv / "bin" / "pip"
            await self._run_step([str(pip), "install", "-r", str(requirements)], progress)

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.settings.path))
        except ValueError:
            return str(path)

    def _system_packages(self, path: Path) -> list[str]:
        try:
            table = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise UpdateError(f"Unable to read system dependencies {path}: {error}") from None
        packages = table.get(distro_id(), []) if isinstance(table, dict) else []
        return [str(name) for name in packages]

    async def _run_step(self, argv: list[str], progress: Progress) -> None:
        try:
            await check(self.reactor, argv, cwd=str(self.settings.path), timeout=1200.0, on_line=progress)
        except ProcessError as error:
            raise UpdateError(str(error)) from None

    # -- recovery

    async def recover(self, hard: bool, progress: Progress) -> None:
        self.git.on_line = progress
        await self._read_local()
        if hard:
            await self._hard_recover(progress)
        else:
            await self._soft_recover(progress)
        await self._read_local()
        if not self.local.valid or self.local.corrupt:
            raise UpdateError(f"Recovery of {self.name} failed: {' '.join(self.local.messages)}")
        await self.store.save(transaction=None)
        self.last_error = None

    async def _reset_target(self) -> str:
        for ref in (self.store.get("remote_hash"), self.remote_ref, "HEAD"):
            if ref and await self.git.resolve(ref):
                return str(ref)
        raise UpdateError(f"No commit to reset {self.name} to; use hard=true", 400)

    async def _soft_recover(self, progress: Progress) -> None:
        lock = self.settings.path / ".git" / "index.lock"
        if lock.exists():
            progress("Removing the lock an interrupted git command left (index.lock)")
            lock.unlink()
        index = self.settings.path / ".git" / "index"
        if self.local.index_corrupt and index.exists():
            progress("Removing the damaged index")
            index.unlink()
        progress("Discarding local changes (git clean, git reset)...")
        try:
            await self.git.run("clean", "-f", "-d", stream=True)
            await self.git.run("reset", "--hard", await self._reset_target(), stream=True)
        except GitError as error:
            raise UpdateError(f"Soft recovery of {self.name} failed: {error}; try hard=true") from None

    async def _hard_recover(self, progress: Progress) -> None:
        if (self.settings.path / ".git").is_dir():
            progress("Checking the repository's objects (git fsck)...")
            if await self._repair_in_place(progress):
                return
        await self._reclone(progress)

    async def _repair_in_place(self, progress: Progress) -> bool:
        """Set damaged loose objects aside and rebuild the index; True when whole again (no network)."""
        lost = self.settings.path / ".git" / "lost-objects"
        for path in await self.git.corrupt_loose_objects():
            lost.mkdir(exist_ok=True)
            progress(f"Setting aside damaged object {path.parent.name}{path.name}")
            path.rename(lost / f"{path.parent.name}{path.name}")
        index = self.settings.path / ".git" / "index"
        if index.exists():
            index.unlink()
        try:
            target = await self._reset_target()
            await self.git.run("reset", "--hard", target, stream=True)
        except (GitError, UpdateError):
            return False
        if not await self.git.healthy():
            return False
        progress("Repository repaired from the objects still present")
        return True

    async def _reclone(self, progress: Progress) -> None:
        path = self.settings.path
        fresh = path.with_name(path.name + RECOVERED_SUFFIX)
        building = path.with_name(path.name + ".cloning")
        for leftover in (fresh, building):
            if leftover.exists():
                await deferToThread(shutil.rmtree, leftover, True)
        progress(f"Cloning {self.settings.origin}...")
        try:
            await self.git.clone(self.settings.origin, building, self.settings.primary_branch)
        except GitError as error:
            await deferToThread(shutil.rmtree, building, True)
            raise UpdateError(f"Hard recovery of {self.name} failed: {error}") from None
        building.rename(fresh)
        broken = path.with_name(path.name + BROKEN_SUFFIX)
        if path.exists():
            path.rename(broken)
        fresh.rename(path)
        await deferToThread(shutil.rmtree, broken, True)
        progress("Repository cloned again")


def _normal_url(url: str) -> str:
    return url.rstrip("/").removesuffix(".git").lower()
