"""The one error type of the config layer."""

from __future__ import annotations


class ConfigError(Exception):
    """moonraker.conf cannot be used as written: the message says where and why."""
