"""``[mqtt]`` options: Moonraker's, then ours."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import OURS, Option, SectionOptions

DEFAULT_QOS = Option("default_qos", "int", 0, "QoS of what is published (0, 1 or 2).", minval=0, maxval=2)

MQTT = SectionOptions(
    "mqtt",
    "An MQTT broker: Klipper status, notifications and the JSON-RPC API over MQTT, power devices and sensors.",
    (
        Option("address", "str", MISSING, "The broker's host name or address."),
        Option("port", "int", 1883, "The broker's port.", minval=1, maxval=65535),
        Option("enable_tls", "bool", False, "TLS to the broker (its host name is checked)."),
        Option("username", "template", None, "User name sent in CONNECT (e.g. `{secrets.mqtt.user}`)."),
        Option("password_file", "str", None, "File holding the password (`password` wins).", deprecated=True),
        Option("password", "template", None, "Password sent in CONNECT (e.g. `{secrets.mqtt.password}`)."),
        Option("mqtt_protocol", "str", "v3.1.1", "`v3.1`, `v3.1.1` or `v5`."),
        Option("client_id", "str", "", "Client id sent in CONNECT (empty: one derived from the instance id)."),
        Option("instance_name", "str", None,
               "Topic prefix, unique per printer (default: this machine's host name)."),
        DEFAULT_QOS,
        Option("api_qos", "int", None, "QoS of the API topics (default: `default_qos`).", minval=0, maxval=2),
        Option("enable_moonraker_api", "bool", True,
               "Serve JSON-RPC on `{instance_name}/moonraker/api/request`."),
        Option("status_objects", "dict", {}, "Klipper objects published, one a line: `object` or "
               "`object=field1,field2`.", empty_fields=True),
        Option("status_interval", "float", 0.0,
               "Seconds between status publishes (0: as updates come; else above 0.25).", above=0.25),
        Option("publish_split_status", "bool", False,
               "One retained topic per object field instead of one `klipper/status` topic."),
        Option("keepalive", "int", 60, "Seconds between PINGREQs.", origin=OURS, minval=0, maxval=65535),
        Option("clean_session", "bool", False, "Start a fresh broker session on each connect.", origin=OURS),
        Option("session_expiry", "int", 3600, "MQTT 5: seconds the broker keeps the session.", origin=OURS,
               minval=0),
        Option("tls_ca_file", "path", None, "CA bundle for the broker (default: the system's).", origin=OURS),
        Option("tls_client_cert", "path", None, "PEM client certificate.", origin=OURS),
        Option("tls_client_key", "path", None, "Its key (default: in the certificate file).", origin=OURS),
        Option("max_queued_messages", "int", 1000, "QoS 1 and 2 messages held while disconnected.", origin=OURS,
               minval=1),
        Option("publish_notifications", "bool", True,
               "Publish each `notify_*` on `{instance_name}/moonraker/notify/<name>`.", origin=OURS),
        Option("enable_ha_discovery", "bool", False, "Announce the printer to Home Assistant's MQTT discovery.",
               origin=OURS),
        Option("ha_discovery_prefix", "str", "homeassistant", "Home Assistant's discovery prefix.", origin=OURS),
    ),
)
