"""Every option the update manager reads, in one place (one help line each)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from moontwist.config.errors import ConfigError
from moontwist.config.section import Section

HOUR = 3600.0
GIT_CHANNELS = ("stable", "beta", "dev")
WEB_CHANNELS = ("stable", "beta")
DEFAULT_GITHUB_API = "https://api.github.com"
DEFAULT_INDEX = "https://pypi.org"


@dataclass(frozen=True)
class ManagerSettings:
    auto_refresh: bool
    refresh_window: tuple[int, int]
    refresh_interval: float
    system_updates: bool
    channel: str | None
    github_api: str


def manager_settings(section: Section) -> ManagerSettings:
    # enable_auto_refresh: check for updates hourly inside refresh_window
    auto_refresh = section.get_bool("enable_auto_refresh", False)
    # refresh_window: hours "a-b" (local time) in which automatic refreshes may run
    window_text = section.get_str("refresh_window", "0-5")
    # refresh_interval: hours between two refreshes of one application
    interval = section.get_int("refresh_interval", 168, minval=1)
    # enable_system_updates: offer the system's package updates (apt)
    system_updates = section.get_bool("enable_system_updates", True)
    # enable_packagekit: Moonraker's PackageKit switch; moontwist always uses apt-get
    section.get_bool("enable_packagekit", True)
    # channel: default update channel of the moonraker and klipper entries
    channel = section.get_choice("channel", GIT_CHANNELS, "dev") if section.has_option("channel") else None
    # github_api_url (moontwist): base URL of the GitHub API (a mirror, or a local fake in tests)
    github_api = section.get_str("github_api_url", DEFAULT_GITHUB_API).rstrip("/")
    return ManagerSettings(auto_refresh, _window(section, window_text), interval * HOUR,
                           system_updates, channel, github_api)


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


def app_settings(section: Section, name: str, kind: str, manager: ManagerSettings,
                 channels: tuple[str, ...], default_channel: str) -> AppSettings:
    # channel: stable (releases), beta (pre-releases too) or dev (branch head, git only)
    channel = section.get_choice("channel", channels, default_channel)
    # refresh_interval: hours between refreshes of this application
    interval = section.get_int("refresh_interval", int(manager.refresh_interval // HOUR), minval=1)
    # info_tags: free tags shown to clients in version_info
    info_tags = section.get_list("info_tags", [])
    # report_anomalies: list anomalies (unofficial remote, branch, untracked files)
    anomalies = section.get_bool("report_anomalies", True)
    # is_system_service: the application runs as a service named after the section
    system_service = section.get_bool("is_system_service", True)
    # managed_services: services restarted after an update (NAME, klipper, moonraker)
    default_services = name if system_service else ""
    services = section.get_str("managed_services", default_services).split()
    allowed = {name, "klipper", "moonraker"}
    for service in services:
        if service not in allowed:
            raise _error(section, f"Option 'managed_services': invalid service '{service}', "
                                f"allowed: {', '.join(sorted(allowed))}")
    return AppSettings(name, kind, channel, interval * HOUR, info_tags, anomalies, services)


def git_settings(section: Section, app: AppSettings) -> GitSettings:
    # path: the repository's working tree
    path = section.get_path("path")
    # origin: the official remote URL
    origin = section.get_str("origin")
    # primary_branch: the branch followed on the dev channel
    branch = section.get_str("primary_branch", "master")
    # pinned_commit: stay on this commit (8+ hex characters) instead of the channel's newest
    pinned = section.get_str("pinned_commit", None)
    if pinned is not None and (len(pinned) < 8 or any(c not in "0123456789abcdefABCDEF" for c in pinned)):
        raise _error(section, "Option 'pinned_commit': expected at least 8 hexadecimal characters")
    # install_script: script (relative to path) run after an update that changed it
    script = section.get_str("install_script", None)
    # virtualenv: the application's Python virtualenv
    venv = section.get_path("virtualenv", None)
    # requirements: pip requirements file (relative to path), reinstalled when it changes
    requirements = section.get_str("requirements", None)
    if venv is not None and requirements is None:
        raise _error(section, "Option 'requirements' is required when 'virtualenv' is set")
    # system_dependencies: JSON file (relative to path) {distro_id: [packages]}
    dependencies = section.get_str("system_dependencies", None)
    return GitSettings(app, path, origin, branch, pinned.lower() if pinned else None,
                       path / script if script else None, venv,
                       path / requirements if requirements else None,
                       path / dependencies if dependencies else None)


def web_settings(section: Section, app: AppSettings) -> WebSettings:
    # path: the folder the web client is served from (kept unresolved: it becomes a link)
    path = Path(section.get_str("path")).expanduser().absolute()
    # repo: GitHub owner/name publishing the releases
    repo = section.get_str("repo").strip("/")
    if repo.count("/") != 1:
        raise _error(section, f"Option 'repo': expected owner/name, got '{repo}'")
    # persistent_files: files in path kept across updates (config.json, ...)
    persistent = section.get_list("persistent_files", [])
    return WebSettings(app, path, repo, persistent)


def python_settings(section: Section, app: AppSettings) -> PythonSettings:
    # virtualenv: the package's virtualenv (it becomes a link to versioned virtualenvs)
    venv = Path(section.get_str("virtualenv")).expanduser().absolute()
    # project_name: the package to install, extras allowed (pkg[extra]); defaults to the section name
    project = section.get_str("project_name", app.name)
    # requirements: a pip requirements file installed before the package
    requirements = section.get_path("requirements", None)
    # index_url (moontwist): the package index (PyPI's JSON API and /simple), e.g. a local mirror
    index = section.get_str("index_url", DEFAULT_INDEX).rstrip("/")
    return PythonSettings(app, venv, project, requirements, index)


def zip_settings(section: Section, app: AppSettings) -> WebSettings:
    web = web_settings(section, app)
    # virtualenv: the application's Python virtualenv (zip type)
    venv = section.get_path("virtualenv", None)
    # requirements: pip requirements file inside the release, installed after each switch
    requirements = section.get_str("requirements", None)
    if venv is not None and requirements is None:
        raise _error(section, "Option 'requirements' is required when 'virtualenv' is set")
    return replace(web, virtualenv=venv, requirements=requirements)
