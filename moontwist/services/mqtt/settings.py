"""Every ``[mqtt]`` option, read in one place (Moonraker's first, then ours)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from moontwist.config import ConfigError, Section
from moontwist.protocols.mqtt import MQTT_5, MQTT_31, MQTT_311

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
    # Moonraker's options.
    address = section.get_str("address")  # broker host name or address
    port = section.get_int("port", 1883, minval=1, maxval=65535)  # broker port
    enable_tls = section.get_bool("enable_tls", False)  # TLS to the broker (hostname checked)
    username = section.get_template("username", None)  # user name sent in CONNECT
    password_file = section.get_str("password_file", None, deprecate=True)  # file holding the password
    password = section.get_template("password", None)  # password sent in CONNECT (wins over password_file)
    protocol = section.get_str("mqtt_protocol", "v3.1.1")  # v3.1, v3.1.1 or v5
    client_id = section.get_str("client_id", "")  # empty: one derived from the instance id
    instance_name = section.get_str("instance_name", socket.gethostname())  # topic prefix, unique per printer
    default_qos = section.get_int("default_qos", 0, minval=0, maxval=2)  # QoS of what we publish
    api_qos = section.get_int("api_qos", default_qos, minval=0, maxval=2)  # QoS of the API topics
    enable_api = section.get_bool("enable_moonraker_api", True)  # serve JSON-RPC on .../api/request
    status_lines = section.get_dict("status_objects", {}, allow_empty_fields=True)  # object[=field,...]
    status_interval = section.get_float("status_interval", 0.0, above=0.25)  # seconds between status publishes (0: as they come)
    split_status = section.get_bool("publish_split_status", False)  # one retained topic per field
    # Ours.
    keepalive = section.get_int("keepalive", 60, minval=0, maxval=65535)  # seconds between PINGREQs
    clean_session = section.get_bool("clean_session", False)  # start a fresh broker session on each connect
    session_expiry = section.get_int("session_expiry", 3600, minval=0)  # MQTT 5: seconds the broker keeps it
    tls_ca_file = section.get_path("tls_ca_file", None)  # CA bundle for the broker (default: the system's)
    tls_client_cert = section.get_path("tls_client_cert", None)  # PEM client certificate
    tls_client_key = section.get_path("tls_client_key", None)  # its key (default: in the certificate file)
    max_queued = section.get_int("max_queued_messages", 1000, minval=1)  # QoS 1/2 held while disconnected
    notifications = section.get_bool("publish_notifications", True)  # notify_* on .../moonraker/notify/<name>
    ha_discovery = section.get_bool("enable_ha_discovery", False)  # Home Assistant MQTT discovery
    ha_prefix = section.get_str("ha_discovery_prefix", "homeassistant")  # Home Assistant's discovery prefix

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
