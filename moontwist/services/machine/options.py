"""``[machine]`` options."""

from __future__ import annotations

from moontwist.config.options import Option, SectionOptions

MACHINE = SectionOptions(
    "machine",
    "The host: system services, reboot and shutdown, sudo.",
    (
        Option("sudo_password", "template", None, "Password for sudo (e.g. `{secrets.machine.password}`)."),
        Option("provider", "choice", "systemd_dbus", "How system services are managed.",
               choices=("none", "systemd_cli", "systemd_dbus", "supervisord_cli")),
        Option("shutdown_action", "choice", "poweroff", "What `machine.shutdown` does.",
               choices=("halt", "poweroff"), lowercase=True),
        Option("force_validation", "bool", False, "Moonraker's legacy-install check; nothing to validate here.",
               ignored=True),
        Option("validate_service", "bool", True, "Moonraker's legacy-install check; nothing to validate here.",
               ignored=True),
        Option("validate_config", "bool", True, "Moonraker's legacy-install check; nothing to validate here.",
               ignored=True),
        Option("supervisord_config_path", "str", "", "supervisord's config file, for the `supervisord_cli` "
               "provider."),
    ),
)
