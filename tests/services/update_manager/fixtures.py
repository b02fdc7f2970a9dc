"""Local git origins, fake host programs and a daemon configured with an update manager."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.services.machine.fake_programs import SUDO
from tests.services.machine.helpers import fake_programs

REAL_GIT = "/usr/bin/git"
# A git that logs each call and, when the file ``crash_on`` names its subcommand,
# runs it and then SIGKILLs its parent (the daemon): a power cut at that step.
GIT_WRAPPER = f'''
dir=$(dirname "$0")
if [ -f "$dir/slow_fetch" ] && [ "$1" = fetch ]; then sleep 1; fi
{REAL_GIT} "$@"
status=$?
if [ -f "$dir/crash_on" ] && [ "$1" = "$(cat "$dir/crash_on")" ]; then kill -9 $PPID; fi
exit $status
'''
SYSTEMCTL = '''
dir=$(dirname "$0")
if [ "$1" = restart ] && [ -f "$dir/crash_on" ] && [ "systemctl" = "$(cat "$dir/crash_on")" ]; then kill -9 $PPID; fi
exit 0
'''
ENV = {"GIT_AUTHOR_NAME": "Tester", "GIT_AUTHOR_EMAIL": "t@example.invalid",
       "GIT_COMMITTER_NAME": "Tester", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run([REAL_GIT, *args], cwd=cwd, env={**os.environ, **ENV}, capture_output=True,
                            text=True, check=True)
    return result.stdout.strip()


def commit(work: Path, name: str, text: str, tag: str | None = None) -> str:
    (work / name).write_text(text)
    git(work, "add", name)
    git(work, "commit", "-q", "-m", f"Add {name}", "-m", f"Body of {name}")
    if tag:
        git(work, "tag", tag)
    return git(work, "rev-parse", "HEAD")


def unpack_all(work: Path) -> None:
    """Turn the clone's packs into loose objects (as a fresh commit or a plain fetch leaves them)."""
    packs = work / ".git" / "objects" / "pack"
    for pack in list(packs.glob("*.pack")):
        data = pack.read_bytes()
        for sibling in packs.glob(pack.stem + ".*"):
            sibling.unlink()
        subprocess.run([REAL_GIT, "unpack-objects", "-q"], cwd=work, input=data, check=True)


class Origin:
    """A bare repository (the remote), an upstream work tree that pushes to it, and the install."""

    def __init__(self, root: Path) -> None:
        self.bare = root / "origin.git"
        self.upstream = root / "upstream"
        self.install = root / "klipper"
        git(root, "init", "-q", "--bare", "-b", "master", str(self.bare))
        git(root, "clone", "-q", str(self.bare), str(self.upstream))
        git(self.upstream, "checkout", "-q", "-b", "master")
        self.first = commit(self.upstream, "klippy.py", "print(1)\n", tag="v0.1.0")
        self.second = commit(self.upstream, "README", "second\n")
        self.push()
        git(root, "clone", "-q", "--no-local", "-b", "master", str(self.bare), str(self.install))

    def push(self, force: bool = False) -> None:
        git(self.upstream, "push", "-q", *(["--force"] if force else []), "--tags", "origin", "master")

    def advance(self) -> list[str]:
        """Two new upstream commits, the first tagged v0.2.0, the second a beta tag."""
        third = commit(self.upstream, "klippy.py", "print(3)\n", tag="v0.2.0")
        fourth = commit(self.upstream, "extra.py", "print(4)\n", tag="v0.3.0-beta")
        self.push()
        return [third, fourth]

    def head(self) -> str:
        return git(self.install, "rev-parse", "HEAD")


def update_config(origin: Origin, channel: str = "dev", extra: str = "") -> str:
    return (f"[update_manager]\nenable_system_updates: False\n{extra}\n"
            f"[update_manager klipper]\ntype: git_repo\npath: {origin.install}\norigin: {origin.bare}\n"
            f"channel: {channel}\nmanaged_services: klipper\n\n" + BASE_CONFIG)


def host_programs(test: Any) -> Path:
    """Fake sudo and systemctl, and a logging git wrapper, first on PATH."""
    return fake_programs(test, {"sudo": SUDO, "systemctl": SYSTEMCTL, "git": GIT_WRAPPER})


def origin_in(test: Any) -> Origin:
    return Origin(short_temp_dir(test))
