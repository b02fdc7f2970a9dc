"""The ``[mqtt]`` options (declared in ``options.py``), checked and gathered in one value."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from moontwist.config import ConfigError, Section
from moontwist.protocols.mqtt import MQTT_5, MQTT_31, MQTT_311
from moontwist.services.mqtt.options import DEFAULT_QOS, MQTT

PROTOCOLS = {"v3.1": MQTT_31, "v3.1.1": MQTT_311, "v5": MQTT_5}


@dataclass(frozen=True)
class MQTTSettings:
    address: str
    port: int = 1883
    enable_tls: bool = False
    username: str | None = None
    password: str | None = None
    version: int = MQTT_311
    client_id: str = ""
    instance_name: str = "moontwist"
    default_qos: int = 0
    api_qos: int = 0
    enable_moonraker_api: bool = True
    status_objects: dict[str, list[str] | None] | None = None
    status_interval: float = 0.0
    publish_split_status: bool = False
    keepalive: int = 60
    clean_session: bool = False
    session_expiry: int = 3600
    tls_ca_file: Path | None = None
    tls_client_cert: Path | None = None
    tls_client_key: Path | None = None
    max_queued: int = 1000
    publish_notifications: bool = True
    enable_ha_discovery: bool = False
    ha_discovery_prefix: str = "homeassistant"


def read_settings(section: Section) -> MQTTSettings:
    """Read ``[mqtt]``; a bad value is a ``ConfigError`` naming the option."""
    default_qos = DEFAULT_QOS.read(section)
    options = MQTT.read(section, defaults={"instance_name": socket.gethostname(), "api_qos": default_qos})
    address, port, enable_tls = options["address"], options["port"], options["enable_tls"]
    username, password, password_file = options["username"], options["password"], options["password_file"]
    protocol, client_id, instance_name = options["mqtt_protocol"], options["client_id"], options["instance_name"]
    api_qos, enable_api = options["api_qos"], options["enable_moonraker_api"]
    status_lines, status_interval = options["status_objects"], options["status_interval"]
    split_status, keepalive = options["publish_split_status"], options["keepalive"]
    clean_session, session_expiry = options["clean_session"], options["session_expiry"]
    tls_ca_file, tls_client_cert = options["tls_ca_file"], options["tls_client_cert"]
    tls_client_key, max_queued = options["tls_client_key"], options["max_queued_messages"]
    notifications, ha_discovery = options["publish_notifications"], options["enable_ha_discovery"]
    ha_prefix = options["ha_discovery_prefix"]

    version = PROTOCOLS.get(protocol)
    if version is None:
        raise ConfigError(f"Invalid value '{protocol}' for option 'mqtt_protocol' in section [mqtt]. "
                          f"Must be one of {list(PROTOCOLS)}")
    if "+" in instance_name or "#" in instance_name:
        raise ConfigError("Option 'instance_name' in section [mqtt] cannot contain a wildcard.")
    if password_file is not None and password is None:
        path = Path(password_file).expanduser().absolute()
        if not path.exists():
            raise ConfigError(f"Password file '{path}' does not exist")
        password = path.read_text().strip()
    if tls_client_key is not None and tls_client_cert is None:
        raise ConfigError("Option 'tls_client_key' in section [mqtt] needs 'tls_client_cert'")
    status_objects = {name: [field.strip() for field in fields.split(",") if field.strip()]
                      if fields is not None else None for name, fields in status_lines.items()}
    return MQTTSettings(
        address=address, port=port, enable_tls=enable_tls, username=username or None, password=password,
        version=version, client_id=client_id, instance_name=instance_name, default_qos=default_qos,
        api_qos=api_qos, enable_moonraker_api=enable_api, status_objects=status_objects,
        status_interval=status_interval, publish_split_status=split_status, keepalive=keepalive,
        clean_session=clean_session, session_expiry=session_expiry, tls_ca_file=tls_ca_file,
        tls_client_cert=tls_client_cert, tls_client_key=tls_client_key, max_queued=max_queued,
        publish_notifications=notifications, enable_ha_discovery=ha_discovery, ha_discovery_prefix=ha_prefix,
    )
