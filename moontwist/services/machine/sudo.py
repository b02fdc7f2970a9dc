"""Commands run as root through ``sudo``, and the password a user may supply for it.

Without a password ``sudo -n`` never waits for one: when sudo needs a password
the command fails at once, a sudo request is recorded and every client gets
``notify_sudo_alert``. ``machine.sudo.password`` then sets the password
(memory only) and retries the requests waiting for it.
"""

from __future__ import annotations

import getpass
from typing import Any, Callable

from twisted.internet.defer import Deferred

from moontwist.errors import ApiError
from moontwist.processes import Completed, ProcessError, run

COMMAND_TIMEOUT = 30.0
PASSWORD_NEEDED = ("password is required", "a terminal is required", "incorrect password", "no password was provided")

Retry = Callable[[], "Deferred[Any]"]


def needs_password(result: Completed) -> bool:
    text = result.stderr.lower()
    return not result.ok and any(marker in text for marker in PASSWORD_NEEDED)


class Sudo:
    """Runs commands as root; keeps the requests that wait for a password."""

    def __init__(self, reactor: Any, notify: Callable[[str, list[Any]], None], password: str | None = None) -> None:
        self.reactor = reactor
        self.notify = notify
        self.password = password or None
        self.requests: list[tuple[str, Retry]] = []

    def argv(self, command: list[str], force_password: bool = False) -> tuple[list[str], bytes | None]:
        if self.password is None:
            return ["sudo", "-n", *command], None
        flags = ["-S", "-k", "-p", ""] if force_password else ["-S", "-p", ""]
        return ["sudo", *flags, *command], (self.password + "\n").encode()

    def run(self, command: list[str], timeout: float = COMMAND_TIMEOUT) -> "Deferred[Completed]":
        argv, stdin = self.argv(command)
        return run(self.reactor, argv, stdin=stdin, timeout=timeout)

    async def run_or_request(self, command: list[str], message: str, retry: Retry) -> Completed:
        """Run ``command``; if sudo wants a password, record ``retry`` under ``message``."""
        result = await self.run(command)
        if needs_password(result):
            self.request(message, retry)
            raise ApiError(f"Sudo password required: {message}", 403)
        return result

    def request(self, message: str, retry: Retry) -> None:
        self.requests.append((message, retry))
        self._alert()

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.requests]

    async def check_access(self) -> bool:
        try:
            return (await self.run(["true"])).ok
        except ProcessError:
            return False

    def info(self) -> dict[str, Any]:
        return {"linux_user": getpass.getuser(), "sudo_requested": bool(self.requests),
                "request_messages": self.messages}

    async def set_password(self, password: str) -> dict[str, Any]:
        """Check ``password`` with sudo, keep it, and run the waiting requests."""
        previous, self.password = self.password, password
        argv, stdin = self.argv(["true"], force_password=True)
        try:
            valid = (await run(self.reactor, argv, stdin=stdin, timeout=COMMAND_TIMEOUT)).ok
        except ProcessError as error:
            self.password = previous
            raise ApiError(str(error), 500) from None
        if not valid:
            self.password = previous
            raise ApiError("Incorrect sudo password")
        responses = ["Sudo password successfully set."]
        pending, self.requests = self.requests, []
        failures = []
        for message, retry in pending:
            try:
                await retry()
                responses.append(f"{message}: done")
            except Exception as error:
                failures.append(f"{message}: {error}")
        if pending:
            self._alert()
        if failures:
            raise ApiError("\n".join(failures), 500)
        return {"sudo_responses": responses, "is_restarting": False}

    def _alert(self) -> None:
        self.notify("notify_sudo_alert", [{"sudo_requested": bool(self.requests), "sudo_messages": self.messages}])
