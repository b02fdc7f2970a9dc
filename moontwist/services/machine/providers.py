"""How services are listed, controlled and the host powered off: ``[machine] provider``.

``systemd_cli`` uses ``systemctl`` (``systemd_dbus`` is served by it too),
``supervisord_cli`` uses ``supervisorctl``, ``none`` controls no services.
Each provider knows which allowed services exist and their state.
"""

from __future__ import annotations

from typing import Any, Iterable

from twisted.internet.defer import Deferred

from moontwist.errors import ApiError
from moontwist.processes import Completed, ProcessError, run, which
from moontwist.services.machine.sudo import COMMAND_TIMEOUT, Sudo

ServiceState = dict[str, str]

# supervisord process states as systemd's (active_state, sub_state).
SUPERVISOR_STATES = {
    "RUNNING": ("active", "running"),
    "STARTING": ("activating", "start"),
    "BACKOFF": ("activating", "auto-restart"),
    "STOPPING": ("deactivating", "stop"),
    "STOPPED": ("inactive", "dead"),
    "EXITED": ("inactive", "dead"),
    "FATAL": ("failed", "failed"),
    "UNKNOWN": ("unknown", "unknown"),
}


def is_allowed(name: str, allowed: Iterable[str]) -> bool:
    """``klipper`` allows ``klipper``, ``klipper-1`` and ``klipper_2`` (multiple instances)."""
    return any(name == entry or name.startswith((entry + "-", entry + "_")) for entry in allowed)


class NoProvider:
    """``provider: none``: no services; power commands through sudo."""

    name = "none"

    def __init__(self, reactor: Any, sudo: Sudo, allowed: list[str]) -> None:
        self.reactor = reactor
        self.sudo = sudo
        self.allowed = allowed
        self.services: dict[str, ServiceState] = {}

    async def refresh(self) -> dict[str, ServiceState]:
        """Re-read which allowed services exist and their state; return those that changed."""
        return {}

    async def action(self, action: str, service: str) -> None:
        raise ApiError("Service Request not supported", 405)

    def power_command(self, action: str) -> list[str]:
        return ["shutdown", "-r", "now"] if action == "reboot" else ["shutdown", "now"]

    async def power(self, action: str) -> None:
        """``shutdown`` or ``reboot`` the host."""
        command = self.power_command(action)
        await _checked(self.sudo.run_or_request(command, f"{action} the host", lambda: _defer(self.power(action))))

    def _update(self, found: dict[str, ServiceState]) -> dict[str, ServiceState]:
        """Keep ``found``; return the known services whose state changed."""
        changed = {name: state for name, state in found.items()
                   if name in self.services and self.services[name] != state}
        self.services = found
        return changed


class SystemdCliProvider(NoProvider):
    name = "systemd_cli"

    def __init__(self, reactor: Any, sudo: Sudo, allowed: list[str], shutdown_action: str = "poweroff") -> None:
        super().__init__(reactor, sudo, allowed)
        self.shutdown_action = shutdown_action

    async def refresh(self) -> dict[str, ServiceState]:
        listing = await _run(self.reactor, ["systemctl", "list-units", "--all", "--type=service",
                                            "--plain", "--no-legend"])
        units = []
        for line in listing.stdout.splitlines():
            unit = line.split()[0] if line.split() else ""
            if unit.endswith(".service") and is_allowed(unit[:-8], self.allowed):
                units.append(unit[:-8])
        if not units:
            return self._update({})
        shown = await _run(self.reactor, ["systemctl", "show", "-p", "Id,ActiveState,SubState",
                                          *(f"{unit}.service" for unit in units)])
        return self._update(parse_systemctl_show(shown.stdout))

    async def action(self, action: str, service: str) -> None:
        command = ["systemctl", action, f"{service}.service"]
        await _checked(self.sudo.run_or_request(command, f"{action} {service}",
                                                lambda: _defer(self.action(action, service))))

    def power_command(self, action: str) -> list[str]:
        return ["systemctl", "reboot" if action == "reboot" else self.shutdown_action]


class SupervisordCliProvider(NoProvider):
    name = "supervisord_cli"

    def __init__(self, reactor: Any, sudo: Sudo, allowed: list[str], config_path: str = "") -> None:
        super().__init__(reactor, sudo, allowed)
        self.config_args = ["-c", config_path] if config_path else []

    async def refresh(self) -> dict[str, ServiceState]:
        status = await _run(self.reactor, ["supervisorctl", *self.config_args, "status"])
        found = {}
        for line in status.stdout.splitlines():
            fields = line.split()
            if len(fields) < 2:
                continue
            name = fields[0].rpartition(":")[2]
            if is_allowed(name, self.allowed):
                active, sub = SUPERVISOR_STATES.get(fields[1], ("unknown", fields[1].lower()))
                found[name] = {"active_state": active, "sub_state": sub}
        return self._update(found)

    async def action(self, action: str, service: str) -> None:
        await _checked(_run(self.reactor, ["supervisorctl", *self.config_args, action, service]))


def parse_systemctl_show(text: str) -> dict[str, ServiceState]:
    """``systemctl show -p Id,ActiveState,SubState`` blocks -> ``{name: state}``."""
    found: dict[str, ServiceState] = {}
    for block in text.strip().split("\n\n"):
        values = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        unit = values.get("Id", "")
        if unit:
            found[unit.removesuffix(".service")] = {"active_state": values.get("ActiveState", ""),
                                                     "sub_state": values.get("SubState", "")}
    return found


async def _run(reactor: Any, argv: list[str]) -> Completed:
    try:
        return await run(reactor, argv, timeout=COMMAND_TIMEOUT)
    except ProcessError as error:
        raise ApiError(str(error), 500) from None


async def _checked(outcome: Any) -> None:
    try:
        result = await outcome
    except ProcessError as error:
        raise ApiError(str(error), 500) from None
    if not result.ok:
        message = (result.stderr or result.stdout).strip() or f"exit status {result.exit_code}"
        raise ApiError(message, 500)


def _defer(coroutine: Any) -> "Deferred[Any]":
    return Deferred.fromCoroutine(coroutine)


def make_provider(name: str, reactor: Any, sudo: Sudo, allowed: list[str],
                  shutdown_action: str, supervisord_config: str) -> NoProvider:
    """The provider configured, ``none`` when its program is missing."""
    if name in ("systemd_cli", "systemd_dbus") and which("systemctl"):
        return SystemdCliProvider(reactor, sudo, allowed, shutdown_action)
    if name == "supervisord_cli" and which("supervisorctl"):
        return SupervisordCliProvider(reactor, sudo, allowed, supervisord_config)
    return NoProvider(reactor, sudo, allowed)
