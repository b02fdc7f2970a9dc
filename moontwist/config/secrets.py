"""Moonraker's secrets file: a JSON object, or else INI sections of strings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moontwist.config.options import Option, SectionOptions

SECRETS_FILE = "moonraker.secrets"

SECRETS = SectionOptions(
    "secrets",
    "Credentials for templates (`{secrets.mqtt.password}`) come from `<data>/moonraker.secrets`.",
    (
        Option("secrets_path", "str", None, "Deprecated: secrets file used when `<data>/moonraker.secrets` "
               "is missing.", deprecated=True),
    ),
)


def read_secrets(data_path: Path, legacy_path: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The secrets and any warnings about them.

    ``<data_path>/moonraker.secrets`` is used when it exists; otherwise the
    deprecated ``[secrets] secrets_path``, when given. No file means no secrets.
    """
    path = data_path / SECRETS_FILE
    if not path.is_file() and legacy_path is not None:
        path = Path(legacy_path).expanduser().resolve()
    if not path.is_file():
        if legacy_path is None:
            return {}, []
        return {}, [f"[secrets]: option 'secrets_path', file does not exist: '{path}'"]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return {}, [f"[secrets]: unable to read '{path}': {error}"]
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        return _parse_ini(text, path)
    if not isinstance(values, dict):
        return {}, [
            f"[secrets]: option 'secrets_path', top level item in json file '{path}' must be an Object."
        ]
    return values, []


def _parse_ini(text: str, path: Path) -> tuple[dict[str, Any], list[str]]:
    import configparser  # only for a secrets file that is not JSON

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, str(path))
    except configparser.Error:
        return {}, [f"[secrets]: option 'secrets_path', invalid file format, must be json or ini: '{path}'"]
    return {name: dict(parser.items(name)) for name in parser.sections()}, []
