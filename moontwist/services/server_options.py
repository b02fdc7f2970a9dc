"""``[server]``: where moontwist listens and where Klippy is (read by app, klippy, files, authorization)."""

from __future__ import annotations

from moontwist.config.options import OURS, Option, SectionOptions

SERVER = SectionOptions(
    "server",
    "Listening addresses, the Klippy socket and request limits. The only required section.",
    (
        Option("host", "str", "0.0.0.0", "Address to listen on; `all` listens on every IPv4 and IPv6 address."),
        Option("port", "int", 7125, "HTTP and websocket port.", minval=0, maxval=65535),
        Option("ssl_port", "int", 7130, "HTTPS port, used when `<data>/certs/moonraker.{cert,key}` exist.",
               minval=0, maxval=65535),
        Option("enable_debug_logging", "bool", False, "Deprecated: start with `-v` for debug logging.",
               deprecated=True, ignored=True),
        Option("klippy_uds_address", "path", "{data_path}/comms/klippy.sock",
               "Klippy's API socket (Moonraker's default is `/tmp/klippy_uds`; ours is where Klipper "
               "installs put it)."),
        Option("use_xheaders", "bool", True, "Accepted for compatibility: moontwist trusts forwarding headers "
               "only from `[authorization] trusted_proxies`.", ignored=True),
        Option("max_upload_size", "int", 1024, "Largest upload accepted, in MiB.", minval=1),
        Option("ssl_certificate_path", "str", None, "Deprecated: certificate used when "
               "`<data>/certs/moonraker.cert` is missing.", deprecated=True),
        Option("ssl_key_path", "str", None, "Deprecated: private key used when `<data>/certs/moonraker.key` "
               "is missing.", deprecated=True),
        Option("route_prefix", "str", None, "Prefix of every HTTP route, e.g. `moonraker/printer1`."),
        Option("max_websocket_connections", "int", 50, "Websocket connections with a user (logged in, API key, "
               "trusted address) accepted at once.", minval=1),
        Option("max_request_body_size", "int", 4, "Largest body of a request other than an upload (JSON, "
               "form), in MiB; larger is refused with 413 from its headers.", origin=OURS, minval=1),
        Option("max_unauthenticated_websockets", "int", 10, "Websockets without a user accepted at once, "
               "counted apart so that they cannot take the slots of users.", origin=OURS, minval=1),
        Option("unauthenticated_websocket_timeout", "float", 20.0, "Seconds a websocket without a user has "
               "to authenticate before it is closed.", origin=OURS, minval=1.0),
    ),
)
