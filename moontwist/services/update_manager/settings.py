"""The update manager's settings, built from the options declared in ``options.py``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from moontwist.config.errors import ConfigError
from moontwist.config.options import SectionOptions
from moontwist.config.section import Section
from moontwist.services.update_manager.options import GIT_CHANNELS, UPDATE_MANAGER

HOUR = 3600.0


@dataclass(frozen=True)
class ManagerSettings:
    auto_refresh: bool
    refresh_window: tuple[int, int]
    refresh_interval: float
    system_updates: bool
    channel: str | None
    github_api: str


def manager_settings(section: Section) -> ManagerSettings:
    options = UPDATE_MANAGER.read(section)
    if options["channel"] not in (None, *GIT_CHANNELS):
        raise _error(section, f"Option 'channel': '{options['channel']}' is not one of {list(GIT_CHANNELS)}")
    return ManagerSettings(options["enable_auto_refresh"], _window(section, options["refresh_window"]),
                           options["refresh_interval"] * HOUR, options["enable_system_updates"],
                           options["channel"], options["github_api_url"].rstrip("/"))


def overrides(section: Section, table: SectionOptions,
              manager: ManagerSettings) -> tuple[ManagerSettings, dict[str, Any]]:
    """``[update_manager moonraker]`` or ``[update_manager klipper]`` without ``type``: a few overrides,
    and every option the table read."""
    options = table.read(section, {"channel": manager.channel or "dev"})
    hours = options["refresh_interval"]
    return replace(manager, channel=options["channel"],
                   refresh_interval=hours * HOUR if hours is not None else manager.refresh_interval), options


def _error(section: Section, message: str) -> ConfigError:
    return ConfigError(f"Section [{section.name}]: {message}")


def _window(section: Section, text: str) -> tuple[int, int]:
    try:
        start, end = (int(part) for part in text.split("-"))
    except ValueError:
        raise _error(section, f"Option 'refresh_window': expected two hours 'a-b', got '{text}'") from None
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise _error(section, "The hours specified in 'refresh_window' must be between 0 and 23.")
    if start == end:
        raise _error(section, "The start and end hours specified in 'refresh_window' cannot be the same.")
    return start, end


@dataclass(frozen=True)
class AppSettings:
    """Options every ``[update_manager NAME]`` section has."""

    name: str
    type: str
    channel: str
    refresh_interval: float
    info_tags: list[str]
    report_anomalies: bool
    managed_services: list[str]


@dataclass(frozen=True)
class GitSettings:
    app: AppSettings
    path: Path
    origin: str
    primary_branch: str
    pinned_commit: str | None
    install_script: Path | None
    virtualenv: Path | None
    requirements: Path | None
    system_dependencies: Path | None


@dataclass(frozen=True)
class WebSettings:
    app: AppSettings
    path: Path
    repo: str
    persistent_files: list[str] = field(default_factory=list)
    virtualenv: Path | None = None
    requirements: str | None = None


@dataclass(frozen=True)
class PythonSettings:
    app: AppSettings
    virtualenv: Path
    project_name: str
    requirements: Path | None
    index_url: str

    @property
    def distribution(self) -> str:
        """The project name without extras: ``moontwist[dbus]`` -> ``moontwist``."""
        return self.project_name.partition("[")[0]


def app_settings(section: Section, name: str, options: dict[str, Any], manager: ManagerSettings) -> AppSettings:
    """``options``: those of ``APPLICATION`` and of the section's type."""
    hours = options["refresh_interval"]
    interval = hours * HOUR if hours is not None else manager.refresh_interval
    services = options["managed_services"]
    if services is None:
        services = [name] if options["is_system_service"] else []
    allowed = {name, "klipper", "moonraker"}
    for service in services:
        if service not in allowed:
            raise _error(section, f"Option 'managed_services': invalid service '{service}', "
                                f"allowed: {', '.join(sorted(allowed))}")
    return AppSettings(name, options["type"], options["channel"], interval, options["info_tags"],
                       options["report_anomalies"], services)


def git_settings(section: Section, app: AppSettings, options: dict[str, Any]) -> GitSettings:
    path = options["path"]
    pinned = options["pinned_commit"]
    if pinned is not None and (len(pinned) < 8 or any(c not in "0123456789abcdefABCDEF" for c in pinned)):
        raise _error(section, "Option 'pinned_commit': expected at least 8 hexadecimal characters")
    script, venv, requirements = options["install_script"], options["virtualenv"], options["requirements"]
    if venv is not None and requirements is None:
        raise _error(section, "Option 'requirements' is required when 'virtualenv' is set")
    dependencies = options["system_dependencies"]
    return GitSettings(app, path, options["origin"], options["primary_branch"], pinned.lower() if pinned else None,
                       path / script if script else None, venv,
                       path / requirements if requirements else None,
                       path / dependencies if dependencies else None)


def web_settings(section: Section, app: AppSettings, options: dict[str, Any]) -> WebSettings:
    # path is kept unresolved: it becomes a link
    path = Path(options["path"]).expanduser().absolute()
    repo = options["repo"].strip("/")
    if repo.count("/") != 1:
        raise _error(section, f"Option 'repo': expected owner/name, got '{repo}'")
    return WebSettings(app, path, repo, options["persistent_files"] or [])


def python_settings(app: AppSettings, options: dict[str, Any]) -> PythonSettings:
    venv = Path(options["virtualenv"]).expanduser().absolute()
    return PythonSettings(app, venv, options["project_name"], options["requirements"],
                          options["index_url"].rstrip("/"))


def zip_settings(section: Section, app: AppSettings, options: dict[str, Any]) -> WebSettings:
    web = web_settings(section, app, options)
    venv, requirements = options["virtualenv"], options["requirements"]
    if venv is not None and requirements is None:
        raise _error(section, "Option 'requirements' is required when 'virtualenv' is set")
    return replace(web, virtualenv=venv, requirements=requirements)
