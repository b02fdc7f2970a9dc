"""What systemd gives a service through its environment, and ``sd_notify`` datagrams back.

- ``NOTIFY_SOCKET`` (``Type=notify``): ``READY=1`` once every listener is up,
  ``STATUS=...`` lines, ``STOPPING=1``; ``WATCHDOG=1`` every half
  ``WATCHDOG_USEC`` when ``WatchdogSec=`` is set.
- ``LISTEN_FDS``/``LISTEN_PID`` (socket activation): listening sockets from
  file descriptor 3 on; the first one serves HTTP.
- The unit a process runs in, from its ``/proc/PID/cgroup``.
The protocol is a few ``KEY=value`` lines per datagram on a Unix socket, so it
is written here rather than pulled in as a library.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Mapping, MutableMapping

LISTEN_FDS_START = 3
# Removed from our environment once read, so that child processes (systemctl,
# sudo) do not send to our notify socket or claim our sockets.
VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES")


@dataclass(frozen=True)
class SystemdEnvironment:
    """The systemd variables meant for this process."""

    notify_socket: str | None = None
    watchdog_seconds: float | None = None
    listen_fds: tuple[int, ...] = field(default_factory=tuple)

    @classmethod
    def read(cls, env: Mapping[str, str], pid: int | None = None) -> "SystemdEnvironment":
        pid = os.getpid() if pid is None else pid
        notify = env.get("NOTIFY_SOCKET") or None
        watchdog = None
        if env.get("WATCHDOG_USEC", "").isdigit() and env.get("WATCHDOG_PID", str(pid)) == str(pid):
            watchdog = int(env["WATCHDOG_USEC"]) / 1_000_000 or None
        fds: tuple[int, ...] = ()
        if env.get("LISTEN_PID") == str(pid) and env.get("LISTEN_FDS", "").isdigit():
            fds = tuple(range(LISTEN_FDS_START, LISTEN_FDS_START + int(env["LISTEN_FDS"])))
        return cls(notify, watchdog, fds)

    @classmethod
    def take(cls, env: MutableMapping[str, str], pid: int | None = None) -> "SystemdEnvironment":
        """``read``, then remove the variables from ``env``."""
        found = cls.read(env, pid)
        for name in VARIABLES:
            env.pop(name, None)
        return found

    def environment(self, pid: int | None = None) -> dict[str, str]:
        """The variables again, for this same process after ``execv`` (``server.restart``)."""
        pid = os.getpid() if pid is None else pid
        variables = {}
        if self.notify_socket:
            variables["NOTIFY_SOCKET"] = self.notify_socket
        if self.watchdog_seconds:
            variables["WATCHDOG_USEC"] = str(round(self.watchdog_seconds * 1_000_000))
            variables["WATCHDOG_PID"] = str(pid)
        if self.listen_fds:
            variables["LISTEN_FDS"] = str(len(self.listen_fds))
            variables["LISTEN_PID"] = str(pid)
        return variables


class Notifier:
    """Sends ``sd_notify`` messages; never blocks (a full socket drops the message)."""

    def __init__(self, address: str) -> None:
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._socket.setblocking(False)

    def send(self, **fields: str) -> bool:
        """One datagram of ``KEY=value`` lines; False when it could not be sent."""
        message = "\n".join(f"{key}={value}" for key, value in fields.items())
        try:
            self._socket.sendto(message.encode("utf-8"), self.address)
        except OSError:
            return False
        return True

    def close(self) -> None:
        self._socket.close()


def socket_family(fd: int) -> socket.AddressFamily:
    """The address family of an inherited listening socket."""
    probe = socket.socket(fileno=os.dup(fd))
    try:
        return probe.family
    finally:
        probe.close()


def unit_of(cgroup: str) -> str | None:
    """The systemd service in a ``/proc/PID/cgroup`` text (``moonraker`` of ``.../moonraker.service``)."""
    for line in cgroup.splitlines():
        last = line.rpartition("/")[2]
        if last.endswith(".service"):
            return last[: -len(".service")]
    return None
