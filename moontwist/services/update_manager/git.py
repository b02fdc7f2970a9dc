"""One git working tree, read and changed with the ``git`` program.

Every command runs as a child process (``moontwist.processes.run``) with a timeout, in the
repository's folder, never asking for credentials. Reading the local state
(``inspect``) never touches the network; only ``fetch`` and ``clone`` do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moontwist.processes import Completed, LineCallback, ProcessError, check, run

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
           "GIT_HTTP_LOW_SPEED_TIME": "20"}
LOCAL_TIMEOUT = 60.0
NETWORK_TIMEOUT = 300.0
MAX_LOG = 100
MAX_UNTAGGED = 30
CORRUPTION_MARKERS = ("corrupt", "bad object", "index file", "bad signature", "unable to read",
                      "unable to unpack", "inflate", "is empty", "missing", "broken link",
                      "invalid sha1 pointer", "bad tree object")
INDEX_MARKERS = ("index file", "bad signature", "index uses")
LOOSE_OBJECT = re.compile(r"\(stored in ([^)]+)\)|object corrupt or missing: (\S+)|"
                          r"unable to unpack header of (\S+)|object file (\S+) is empty")
DESCRIBE = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]+)$")


class GitError(ProcessError):
    """A git command failed; ``corrupt`` when its message shows a damaged repository."""

    @property
    def corrupt(self) -> bool:
        text = self.output.lower()
        return any(marker in text for marker in CORRUPTION_MARKERS)

    @property
    def index_only(self) -> bool:
        text = self.output.lower()
        return any(marker in text for marker in INDEX_MARKERS)


@dataclass(frozen=True)
class Version:
    """``git describe`` output split as Moonraker reports it."""

    full: str = "?"

    @property
    def short(self) -> str:
        text = self.full.removesuffix("-dirty")
        match = DESCRIBE.match(text)
        if match is None:
            return text
        return match["tag"] if match["count"] == "0" else f"{match['tag']}-{match['count']}"

    @property
    def dirty(self) -> bool:
        return self.full.endswith("-dirty")


@dataclass
class Commit:
    sha: str
    author: str
    date: str
    subject: str
    message: str
    tag: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"sha": self.sha, "author": self.author, "date": self.date, "subject": self.subject,
                "message": self.message, "tag": self.tag}


@dataclass
class LocalState:
    """What the working tree holds now, read without the network."""

    valid: bool = False
    corrupt: bool = False
    index_corrupt: bool = False
    head: str = "?"
    branch: str = "?"
    detached: bool = False
    version: Version = field(default_factory=Version)
    untracked: list[str] = field(default_factory=list)
    remote_url: str = "?"
    messages: list[str] = field(default_factory=list)


class Git:
    """Runs git in ``path``."""

    def __init__(self, reactor: Any, path: Path, on_line: LineCallback | None = None) -> None:
        self.reactor = reactor
        self.path = path
        self.on_line = on_line

    async def run(self, *args: str, timeout: float = LOCAL_TIMEOUT, stream: bool = False,
                  cwd: Path | None = None) -> Completed:
        """Run ``git args``; fails with ``GitError`` holding git's own message."""
        argv = ["git", *args]
        try:
            return await check(self.reactor, argv, cwd=str(cwd or self.path), env=GIT_ENV,
                               timeout=timeout, on_line=self.on_line if stream else None)
        except ProcessError as error:
            raise GitError(str(error), error.output) from None

    async def output(self, *args: str, timeout: float = LOCAL_TIMEOUT) -> str:
        return (await self.run(*args, timeout=timeout)).stdout.strip()

    async def inspect(self, remote: str) -> LocalState:
        """The tree's commit, branch, version and health; a damaged repo is ``corrupt``."""
        state = LocalState()
        if not (self.path / ".git").exists():
            state.messages = [f"No git repository at {self.path}"]
            return state
        try:
            state.head = await self.output("rev-parse", "--verify", "HEAD^{commit}")
            await self.output("rev-parse", "--verify", "HEAD^{tree}")
            status = await self.output("status", "--porcelain", "--untracked-files=all")
            state.branch = await self.output("rev-parse", "--abbrev-ref", "HEAD")
            state.version = Version(await self.output("describe", "--always", "--tags", "--long", "--dirty"))
        except GitError as error:
            state.corrupt = error.corrupt
            state.index_corrupt = error.index_only
            state.messages = [line for line in error.output.splitlines() if line.strip()][-5:]
            return state
        state.detached = state.branch == "HEAD"
        state.untracked = [line[3:] for line in status.splitlines() if line.startswith("??")]
        result = await run(self.reactor, ["git", "remote", "get-url", remote], cwd=str(self.path), env=GIT_ENV,
                           timeout=LOCAL_TIMEOUT)
        state.remote_url = result.stdout.strip() if result.ok else "?"
        state.valid = True
        return state

    async def resolve(self, ref: str) -> str | None:
        result = await run(self.reactor, ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           cwd=str(self.path), env=GIT_ENV, timeout=LOCAL_TIMEOUT)
        return result.stdout.strip() if result.ok else None

    async def describe(self, ref: str) -> Version:
        return Version(await self.output("describe", "--always", "--tags", "--long", ref))

    async def latest_tag(self, ref: str, stable_only: bool) -> str | None:
        """The newest tag reachable from ``ref``; ``stable_only`` skips pre-releases (``v1.2-beta``)."""
        args = ["describe", "--tags", "--abbrev=0"]
        if stable_only:
            args += ["--exclude", "*-*"]
        result = await run(self.reactor, ["git", *args, ref], cwd=str(self.path), env=GIT_ENV,
                           timeout=LOCAL_TIMEOUT)
        return result.stdout.strip() if result.ok and result.stdout.strip() else None

    async def commits_between(self, base: str, target: str) -> tuple[list[Commit], int]:
        """Commits in ``target`` not in ``base``: up to 30 untagged plus tagged ones of the last 100."""
        count = int(await self.output("rev-list", "--count", f"{base}..{target}"))
        text = await self.output("log", f"{base}..{target}", f"--max-count={MAX_LOG}",
                                 "--format=%H%x1D%an%x1D%ct%x1D%s%x1D%b%x1D%D%x1E")
        commits = []
        for index, record in enumerate(filter(None, (item.strip() for item in text.split("\x1e")))):
            sha, author, date, subject, body, refs = (record.split("\x1d") + [""] * 6)[:6]
            tags = [ref.strip()[5:] for ref in refs.split(",") if ref.strip().startswith("tag: ")]
            if index < MAX_UNTAGGED or tags:
                commits.append(Commit(sha, author, date, subject, body.strip(), tags[0] if tags else None))
        return commits, count

    async def is_ancestor(self, older: str, newer: str) -> bool:
        result = await run(self.reactor, ["git", "merge-base", "--is-ancestor", older, newer],
                           cwd=str(self.path), env=GIT_ENV, timeout=LOCAL_TIMEOUT)
        return result.ok

    async def fetch(self, remote: str) -> None:
        await self.run("fetch", remote, "--prune", "--tags", "--force", "--progress",
                       timeout=NETWORK_TIMEOUT, stream=True)

    async def changed_files(self, old: str, new: str) -> list[str]:
        return (await self.output("diff", "--name-only", old, new)).splitlines()

    async def corrupt_loose_objects(self) -> list[Path]:
        """Loose object files git reports damaged (read from ``git fsck``)."""
        result = await run(self.reactor, ["git", "fsck", "--no-dangling", "--no-progress"],
                           cwd=str(self.path), env=GIT_ENV, timeout=NETWORK_TIMEOUT)
        found: list[Path] = []
        for match in LOOSE_OBJECT.finditer(result.stderr + result.stdout):
            name = next(group for group in match.groups() if group)
            path = (self.path / name) if not name.startswith("/") else Path(name)
            if path.is_file() and path not in found and "objects" in path.parts:
                found.append(path)
        return found

    async def healthy(self) -> bool:
        result = await run(self.reactor, ["git", "fsck", "--no-dangling", "--no-progress"],
                           cwd=str(self.path), env=GIT_ENV, timeout=NETWORK_TIMEOUT)
        return result.ok

    async def clone(self, origin: str, destination: Path, branch: str) -> None:
        await self.run("clone", "--no-hardlinks", "--branch", branch, "--progress", origin, str(destination),
                       timeout=NETWORK_TIMEOUT, stream=True, cwd=destination.parent)
