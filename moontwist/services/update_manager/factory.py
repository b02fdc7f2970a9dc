"""Builds one updater per ``[update_manager NAME]`` section."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from moontwist.config.errors import ConfigError
from moontwist.services.update_manager.base import Store, Updater
from moontwist.services.update_manager.options import (
    APPLICATION, APPLICATION_TYPES, DEFAULT_INDEX, KLIPPER_ENTRY, MOONRAKER_ENTRY, WEB_CHANNELS)
from moontwist.services.update_manager.self_source import SelfSource, find_source
from moontwist.services.update_manager.settings import (
    AppSettings, GitSettings, ManagerSettings, PythonSettings, app_settings, git_settings, overrides,
    python_settings, web_settings, zip_settings)

if TYPE_CHECKING:
    from moontwist.config import Config, Section
    from moontwist.services.update_manager.github import GitHub

PREFIX = "update_manager "
BUILT_IN = ("moonraker", "klipper")

MakeUpdater = Callable[[Store], Updater]


def configured_updaters(reactor: Any, config: "Config", manager: ManagerSettings,
                        github: "GitHub") -> tuple[dict[str, MakeUpdater], ManagerSettings]:
    """Read every section now (so none is reported unread); updaters are made once the database runs.

    Also returns the settings of the ``klipper`` entry made once Klippy says where it runs.
    """
    updaters: dict[str, MakeUpdater] = {}
    klipper = manager
    source = find_source()
    for section_name in config.sections_with_prefix(PREFIX):
        name = section_name[len(PREFIX):].strip().removeprefix("client ").strip()
        if name in updaters:
            raise ConfigError(f"Section [{section_name}]: updater '{name}' already configured")
        section = config.section(section_name)
        if name in BUILT_IN and not section.has_option("type"):
            # Moonraker's built-in entries take only a few overrides here.
            if name == "klipper":
                klipper = overrides(section, KLIPPER_ENTRY, manager)[0]
            else:
                entry, options = overrides(section, MOONRAKER_ENTRY, manager)
                own = self_updater(reactor, entry, github, options["index_url"], source)
                if own is not None:
                    updaters[name] = own
            continue
        updaters[name] = _application(reactor, section, name, manager, github)
    if "moonraker" not in updaters and (own := self_updater(reactor, manager, github, DEFAULT_INDEX, source)):
        updaters["moonraker"] = own
    return updaters, klipper


def _application(reactor: Any, section: "Section", name: str, manager: ManagerSettings,
                 github: "GitHub") -> MakeUpdater:
    """The updater of an ``[update_manager NAME]`` section with a ``type``."""
    options = APPLICATION.read(section)
    kind = options["type"]
    table = APPLICATION_TYPES.get(kind)
    if table is None:
        raise ConfigError(f"Section [{section.name}]: type '{kind}' is not supported "
                          f"(supported: {', '.join(APPLICATION_TYPES)})")
    defaults: dict[str, Any] = {"project_name": name}
    if kind == "git_repo" and name in BUILT_IN and manager.channel:
        defaults["channel"] = manager.channel
    if kind == "python" and name == "moonraker" and manager.channel in WEB_CHANNELS:
        defaults["channel"] = manager.channel
    options.update(table.read(section, defaults))
    app = app_settings(section, name, options, manager)
    if kind == "git_repo":
        from moontwist.services.update_manager.git_repo import GitRepoUpdater

        return partial(GitRepoUpdater, reactor, git_settings(section, app, options))
    if kind in ("web", "web_beta"):
        from moontwist.services.update_manager.web import WebUpdater

        return partial(_indexed, WebUpdater, reactor, web_settings(section, app, options), github)
    if kind in ("zip", "zip_beta"):
        from moontwist.services.update_manager.web import ZipUpdater

        return partial(_indexed, ZipUpdater, reactor, zip_settings(section, app, options), github)
    from moontwist.services.update_manager.python_env import PythonUpdater

    return partial(_indexed, PythonUpdater, reactor, python_settings(app, options), github)


def self_updater(reactor: Any, manager: ManagerSettings, github: "GitHub", index_url: str,
                 source: SelfSource | None) -> MakeUpdater | None:
    """moontwist itself, the ``moonraker`` entry clients look for (``self_source.py``): the clone it
    was installed from, else its package index when it has a virtualenv of its own; None when
    it is not installed."""
    if source is None:
        return None
    if source.clone is not None:
        from moontwist.services.update_manager.self_repo import SelfRepoUpdater, self_repo_settings

        app = AppSettings("moonraker", "git_repo", manager.channel or "dev", manager.refresh_interval, [], True,
                          ["moonraker"])
        return partial(SelfRepoUpdater, reactor, self_repo_settings(app, source), source=source)
    if source.virtualenv == Path(sys.base_prefix):
        return None
    from moontwist.services.update_manager.python_env import PythonUpdater

    channel = manager.channel if manager.channel in WEB_CHANNELS else "stable"
    app = AppSettings("moonraker", "python", channel, manager.refresh_interval, [], True, ["moonraker"])
    settings = PythonSettings(app, source.virtualenv, "moontwist", None, index_url.rstrip("/"))
    return partial(_indexed, PythonUpdater, reactor, settings, github)


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
