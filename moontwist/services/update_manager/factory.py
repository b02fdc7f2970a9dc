"""Builds one updater per ``[update_manager NAME]`` section."""

from __future__ import annotations

import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from moontwist.config.errors import ConfigError
from moontwist.services.update_manager.base import Store, Updater
from moontwist.services.update_manager.settings import (
    DEFAULT_INDEX, GIT_CHANNELS, WEB_CHANNELS, AppSettings, GitSettings, ManagerSettings, PythonSettings,
    app_settings,
    git_settings, python_settings, web_settings, zip_settings)

if TYPE_CHECKING:
    from moontwist.config import Config
    from moontwist.services.update_manager.github import GitHub

PREFIX = "update_manager "
BUILT_IN = ("moonraker", "klipper")

MakeUpdater = Callable[[Store], Updater]


def configured_updaters(reactor: Any, config: "Config", manager: ManagerSettings,
                        github: "GitHub") -> dict[str, MakeUpdater]:
    """Read every section now (so none is reported unread); updaters are made once the database runs."""
    updaters: dict[str, MakeUpdater] = {}
    for section_name in config.sections_with_prefix(PREFIX):
        name = section_name[len(PREFIX):].strip().removeprefix("client ").strip()
        if name in updaters:
            raise ConfigError(f"Section [{section_name}]: updater '{name}' already configured")
        section = config.section(section_name)
        if name in BUILT_IN and not section.has_option("type"):
            # Moonraker's built-in entries take only a few overrides here.
            overrides = _built_in_overrides(section, manager)
            if name == "moonraker" and sys.prefix != sys.base_prefix:
                updaters[name] = partial(_indexed, _python_updater(), reactor, self_settings(overrides), github)
            continue
        kind = section.get_str("type")
        if kind == "git_repo":
            from moontwist.services.update_manager.git_repo import GitRepoUpdater

            default = manager.channel if name in ("klipper", "moonraker") and manager.channel else "dev"
            app = app_settings(section, name, kind, manager, GIT_CHANNELS, default)
            updaters[name] = partial(GitRepoUpdater, reactor, git_settings(section, app))
        elif kind in ("web", "web_beta"):
            from moontwist.services.update_manager.web import WebUpdater

            default = "beta" if kind == "web_beta" else "stable"
            app = app_settings(section, name, kind, manager, WEB_CHANNELS, default)
            updaters[name] = partial(_indexed, WebUpdater, reactor, web_settings(section, app), github)
        elif kind in ("zip", "zip_beta"):
            from moontwist.services.update_manager.web import ZipUpdater

            default = "beta" if kind == "zip_beta" else "stable"
            app = app_settings(section, name, kind, manager, WEB_CHANNELS, default)
            updaters[name] = partial(_indexed, ZipUpdater, reactor, zip_settings(section, app), github)
        elif kind == "python":
            from moontwist.services.update_manager.python_env import PythonUpdater

            default = manager.channel if name == "moonraker" and manager.channel in WEB_CHANNELS else "stable"
            app = app_settings(section, name, kind, manager, WEB_CHANNELS, default)
            updaters[name] = partial(_indexed, PythonUpdater, reactor, python_settings(section, app), github)
        else:
            raise ConfigError(f"Section [{section_name}]: type '{kind}' is not supported "
                              f"(supported: git_repo, web, web_beta, zip, zip_beta, python)")
    if "moonraker" not in updaters and sys.prefix != sys.base_prefix:
        updaters["moonraker"] = partial(_indexed, _python_updater(), reactor, self_settings(manager), github)
    return updaters


def _built_in_overrides(section: Any, manager: ManagerSettings) -> ManagerSettings:
    # channel / refresh_interval: per-entry overrides of the [update_manager] defaults
    channel = section.get_choice("channel", GIT_CHANNELS, manager.channel or "dev")
    hours = section.get_int("refresh_interval", int(manager.refresh_interval // 3600), minval=1)
    # pinned_commit / report_anomalies: read as Moonraker does; moontwist's own entry is a package
    section.get_str("pinned_commit", None)
    section.get_bool("report_anomalies", True)
    return replace(manager, channel=channel, refresh_interval=hours * 3600.0)


def _python_updater() -> Any:
    from moontwist.services.update_manager.python_env import PythonUpdater

    return PythonUpdater


def self_settings(manager: ManagerSettings) -> PythonSettings:
    """moontwist itself, the ``moonraker`` entry clients look for: the package in this virtualenv."""
    channel = manager.channel if manager.channel in WEB_CHANNELS else "stable"
    app = AppSettings("moonraker", "python", channel, manager.refresh_interval, [], True, ["moonraker"])
    return PythonSettings(app, Path(sys.prefix), "moontwist", None, DEFAULT_INDEX)


def _indexed(cls: Any, reactor: Any, settings: Any, index: Any, store: Store) -> Updater:
    return cls(reactor, settings, store, index)  # type: ignore[no-any-return]




KLIPPER_ORIGIN = "https://github.com/Klipper3d/klipper.git"


def klipper_settings(manager: ManagerSettings, klipper_path: Path, python_path: Path | None) -> GitSettings:
    """The ``klipper`` entry Moonraker creates from where Klippy says it runs."""
    channel = manager.channel or "dev"
    app = AppSettings("klipper", "git_repo", channel, manager.refresh_interval, [], True, ["klipper"])
    venv = python_path.parent.parent if python_path is not None and (python_path.parent.parent /
                                                                        "pyvenv.cfg").exists() else None
    requirements = klipper_path / "scripts" / "klippy-requirements.txt" if venv is not None else None
    dependencies = klipper_path / "scripts" / "system-dependencies.json"
    return GitSettings(app, klipper_path, KLIPPER_ORIGIN, "master", None, None, venv, requirements,
                       dependencies if dependencies.exists() else None)
