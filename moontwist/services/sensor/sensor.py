"""What every sensor type shares: its options, measurements and stored values."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from moontwist.config import ConfigError
from moontwist.config.section import Section
from moontwist.services.jobs.history_fields import STRATEGIES, HistoryField
from moontwist.services.sensor.options import SENSOR

PARAMETER_PREFIX = "parameter_"
HISTORY_FIELD_PREFIX = "history_field_"
_FIELD_FLAGS = ("init_tracker", "exclude_paused", "report_total", "report_maximum")


@dataclass
class SensorOptions:
    id: str
    type: str
    name: str
    store_size: int
    parameters: list[dict[str, Any]] = field(default_factory=list)
    history_fields: list[dict[str, Any]] = field(default_factory=list)


def read_options(section: Section, warn: Any) -> SensorOptions:
    parts = section.name.split(maxsplit=1)
    if len(parts) != 2:
        raise ConfigError(f"Invalid section name: {section.name}")
    sensor_id = parts[1]
    common = SENSOR.read(section, {"name": sensor_id})
    options = SensorOptions(sensor_id, common["type"], common["name"], common["sensor_store_size"])
    for option in section.option_names():
        if option.startswith(PARAMETER_PREFIX):
            # parameter_NAME: key=value lines describing a measured value (units=kWh ...).
            info: dict[str, Any] = dict(section.get_dict(option))
            info["name"] = option[len(PARAMETER_PREFIX):]
            options.parameters.append(info)
        elif option.startswith(HISTORY_FIELD_PREFIX):
            # history_field_NAME: a value tracked per job (parameter=, strategy=, units=, desc= ...).
            options.history_fields.append(_history_field(section, option, warn))
    return options


def _history_field(section: Section, option: str, warn: Any) -> dict[str, Any]:
    config: dict[str, Any] = dict(section.get_dict(option))
    parameter = config.pop("parameter", None)
    if parameter is None:
        raise ConfigError(f"[{section.name}]: option '{option}', key 'parameter' must bespecified")
    strategy = config.pop("strategy", "basic")
    if strategy not in STRATEGIES:
        raise ConfigError(f"[{section.name}]: option '{option}', error encountered during sensor field "
                          f"configuration: Invalid strategy '{strategy}'")
    precision = config.pop("precision", None)
    try:
        precision_value = None if precision is None else int(precision)
    except ValueError:
        raise ConfigError(f"[{section.name}]: option '{option}', error encountered during sensor field "
                          f"configuration: invalid literal for int() with base 10: '{precision}'") from None
    result: dict[str, Any] = {
        "field": option[len(HISTORY_FIELD_PREFIX):],
        "provider": section.name,
        "description": config.pop("desc", f"{parameter} tracker"),
        "strategy": strategy,
        "units": config.pop("units", None),
    }
    for flag in _FIELD_FLAGS:
        result[flag] = str(config.pop(flag, "false")).lower() == "true"
    result["precision"] = precision_value
    result["parameter"] = parameter
    for key in config:
        warn(f"[{section.name}]: Option '{option}' contains invalid key '{key}'")
    return result


class Sensor:
    """Measurements set by the type (``last_measurements``), copied to the store each second;
    each measurement also updates the history fields tracking it."""

    def __init__(self, options: SensorOptions) -> None:
        self.options = options
        self.history_fields: dict[str, list[HistoryField]] = {}
        self.error_state: str | None = None
        self.last_measurements: dict[str, float | int] = {}
        self.last_value: dict[str, float | int] = {}
        self.values: dict[str, deque[float | int]] = {}

    def store_tick(self) -> bool:
        """Store the latest measurements; whether they changed since the last tick."""
        for key, value in self.last_measurements.items():
            self.values.setdefault(key, deque(maxlen=self.options.store_size)).append(value)
        changed = self.last_value != self.last_measurements
        self.last_value = dict(self.last_measurements)
        return changed

    def info(self, extended: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.options.id,
            "friendly_name": self.options.name,
            "type": self.options.type,
            "values": self.last_measurements,
        }
        if extended:
            result["parameter_info"] = self.options.parameters
            result["history_fields"] = [{**field.configuration(), "parameter": parameter}
                                        for parameter, fields in self.history_fields.items() for field in fields]
        return result

    def measured(self, measurements: dict[str, float | int]) -> None:
        """New values from the type: kept as the latest, fed to the history fields."""
        self.last_measurements = measurements
        for name, value in measurements.items():
            for field in self.history_fields.get(name, ()):
                field.tracker.update(value)

    def measurements(self) -> dict[str, list[float | int]]:
        return {key: list(values) for key, values in self.values.items()}

    def start(self) -> None:
        """Begin measuring (the type subscribes to its source)."""

    def stop(self) -> None:
        """Stop measuring."""
