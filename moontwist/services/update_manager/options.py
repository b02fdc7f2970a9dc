"""``[update_manager]`` and ``[update_manager NAME]`` options.

``[update_manager]`` holds the manager's own options; ``[update_manager moonraker]``
and ``[update_manager klipper]`` without a ``type`` only override a few of them;
any other ``[update_manager NAME]`` has the options of every application, then
those of its ``type`` (read by ``factory.read_application``).
"""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import OURS, Option, SectionOptions

GIT_CHANNELS = ("stable", "beta", "dev")
WEB_CHANNELS = ("stable", "beta")
DEFAULT_GITHUB_API = "https://api.github.com"
DEFAULT_INDEX = "https://pypi.org"

UPDATE_MANAGER = SectionOptions(
    "update_manager",
    "Updates of moontwist (the `moonraker` entry), Klipper, the system's packages and each "
    "`[update_manager NAME]` application.",
    (
        Option("enable_auto_refresh", "bool", False, "Check for updates hourly inside `refresh_window`."),
        Option("refresh_window", "str", "0-5", "Hours `a-b` (local time, 0-23, may wrap midnight) in which "
               "automatic refreshes run."),
        Option("refresh_interval", "int", 168, "Hours between two refreshes of one application.", minval=1),
        Option("enable_system_updates", "bool", True, "Offer the system's package updates (apt)."),
        Option("enable_packagekit", "bool", True, "Use PackageKit for system updates; moontwist always "
               "uses `apt-get`.", ignored=True),
        Option("channel", "str", None, "Channel of the `moonraker` and `klipper` entries: `stable`, `beta` or "
               "`dev` (none: their own default)."),
        Option("enable_repo_debug", "bool", False, "Allow unofficial remotes and branches (Moonraker's `-g` "
               "now).", deprecated=True, ignored=True),
        Option("github_api_url", "str", DEFAULT_GITHUB_API, "Base URL of the GitHub API (a mirror, or a local "
               "fake in tests).", origin=OURS),
    ),
)

_OVERRIDES = (
    Option("channel", "choice", "dev", "Update channel (default: `[update_manager] channel`, else `dev`; "
           "moontwist's own entry follows `stable` for `dev`).", choices=GIT_CHANNELS),
    Option("refresh_interval", "int", None, "Hours between refreshes (none: `[update_manager] "
           "refresh_interval`).", minval=1),
    Option("pinned_commit", "str", None, "Stay on this commit.", ignored=True),
    Option("report_anomalies", "bool", True, "List anomalies in `version_info`.", ignored=True),
)
MOONRAKER_ENTRY = SectionOptions(
    "update_manager moonraker",
    "Overrides for moontwist's own entry, written without `type`: a `git_repo` on the clone moontwist runs "
    "or was installed from, else a `python` package in its virtualenv from a package index.",
    (
        *_OVERRIDES,
        Option("index_url", "str", DEFAULT_INDEX, "Package index moontwist is updated from when it was not "
               "installed from a git clone.", origin=OURS),
    ),
)
KLIPPER_ENTRY = SectionOptions(
    "update_manager klipper",
    "Overrides for the `klipper` entry made from where Klippy runs, written without `type`.",
    _OVERRIDES,
)

APPLICATION = SectionOptions(
    "update_manager",
    "An application kept up to date; the options of each `type` follow. "
    "`[update_manager client NAME]` is accepted as `[update_manager NAME]`.",
    (
        Option("type", "str", MISSING, "`git_repo`, `web`, `web_beta`, `zip`, `zip_beta` or `python`."),
        Option("refresh_interval", "int", None, "Hours between refreshes of this application (none: "
               "`[update_manager] refresh_interval`).", minval=1),
        Option("info_tags", "list", [], "Free tags shown to clients in `version_info`, one a line."),
        Option("report_anomalies", "bool", True, "List anomalies (unofficial remote or branch, untracked "
               "files) in `version_info`."),
        Option("is_system_service", "bool", True, "The application runs as a service named after the section."),
        Option("managed_services", "list", None, "Services restarted after an update: the section's name, "
               "`klipper`, `moonraker`, space separated (none: the section's name with `is_system_service`).",
               separator=None),
    ),
    named=True,
)


def _channel(default: str, choices: tuple[str, ...]) -> Option:
    return Option("channel", "choice", default, "Update channel: `stable` (releases), `beta` (pre-releases "
                  "too)" + (", `dev` (the branch's head)." if "dev" in choices else "."), choices=choices)


def _python_env(*, virtualenv: Option) -> tuple[Option, ...]:
    return (
        virtualenv,
        Option("env", "str", None, "Deprecated form of `virtualenv`: the virtualenv's python executable.",
               ignored=True),
        Option("venv_args", "str", None, "Arguments of `virtualenv` when the virtualenv is rebuilt.", ignored=True),
        Option("pip_environment_variables", "dict", None, "Environment of `pip install`.", ignored=True),
    )


_PATH = Option("path", "str", MISSING, "The folder the application is served from (it becomes a link to "
               "the installed release).")
_REPO = Option("repo", "str", MISSING, "GitHub `owner/name` publishing the releases.")
_PERSISTENT = Option("persistent_files", "list", None, "Files in `path` kept across updates "
                     "(`config.json`...), one a line.")
_NODE = Option("enable_node_updates", "bool", False, "Run `npm ci` when `package-lock.json` changes.",
               ignored=True)


def _web(variant: str, channel: str) -> SectionOptions:
    return SectionOptions("update_manager", "A web client installed from its GitHub releases"
                          + (" (`beta` channel by default)." if channel == "beta" else "."),
                          (_channel(channel, WEB_CHANNELS), _PATH, _REPO, _PERSISTENT),
                          named=True, variant=variant)


def _zip(variant: str, channel: str) -> SectionOptions:
    return SectionOptions(
        "update_manager",
        "An application installed from a zip of its GitHub releases"
        + (" (`beta` channel by default)." if channel == "beta" else "."),
        (
            _channel(channel, WEB_CHANNELS), _PATH, _REPO, _PERSISTENT,
            *_python_env(virtualenv=Option("virtualenv", "path", None, "The application's Python virtualenv.")),
            Option("requirements", "str", None, "pip requirements file inside the release, installed after each "
                   "switch (required with `virtualenv`)."),
            Option("system_dependencies", "str", None, "JSON file `{distro_id: [packages]}` inside the release.",
                   ignored=True),
            Option("install_script", "str", None, "Script inside the release installing system packages.",
                   ignored=True),
            _NODE,
        ),
        named=True, variant=variant,
    )


GIT_REPO = SectionOptions(
    "update_manager",
    "A git repository following its tags (`stable`, `beta`) or its branch (`dev`).",
    (
        _channel("dev", GIT_CHANNELS),
        Option("path", "path", MISSING, "The repository's working tree."),
        Option("origin", "str", MISSING, "The official remote URL."),
        Option("moved_origin", "str", None, "A former URL of `origin`, replaced by it.", ignored=True),
        Option("primary_branch", "str", "master", "The branch followed on the `dev` channel."),
        Option("pinned_commit", "str", None, "Stay on this commit (8+ hexadecimal characters) instead of the "
               "channel's newest."),
        *_python_env(virtualenv=Option("virtualenv", "path", None, "The application's Python virtualenv.")),
        Option("requirements", "str", None, "pip requirements file (relative to `path`), reinstalled when it "
               "changes (required with `virtualenv`)."),
        Option("system_dependencies", "str", None, "JSON file (relative to `path`) `{distro_id: [packages]}`, "
               "installed when it changes."),
        Option("install_script", "str", None, "Script (relative to `path`) run after an update that changed it "
               "(deprecated by `system_dependencies`)."),
        _NODE,
    ),
    named=True, variant="git_repo",
)

PYTHON = SectionOptions(
    "update_manager",
    "A Python package installed from a package index into its virtualenv.",
    (
        _channel("stable", WEB_CHANNELS),
        *_python_env(virtualenv=Option("virtualenv", "str", MISSING, "The package's virtualenv (it becomes a "
                                       "link to versioned virtualenvs).")),
        Option("project_name", "str", None, "The package to install, extras allowed (`pkg[extra]`) (none: "
               "the section's name)."),
        Option("primary_branch", "str", None, "Branch of a package installed from git.", ignored=True),
        Option("requirements", "path", None, "A pip requirements file installed before the package.",
               origin=OURS),
        Option("index_url", "str", DEFAULT_INDEX, "The package index (PyPI's JSON API and `/simple`), e.g. a "
               "local mirror.", origin=OURS),
    ),
    named=True, variant="python",
)

APPLICATION_TYPES: dict[str, SectionOptions] = {table.variant: table for table in (
    GIT_REPO, _web("web", "stable"), _web("web_beta", "beta"), _zip("zip", "stable"), _zip("zip_beta", "beta"),
    PYTHON,
)}

TABLES: tuple[SectionOptions, ...] = (UPDATE_MANAGER, MOONRAKER_ENTRY, KLIPPER_ENTRY, APPLICATION,
                                      *APPLICATION_TYPES.values())
