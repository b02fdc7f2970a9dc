"""``[power NAME]`` options: those of every device, then those of its ``type``.

A type's table is read with the common one when the device is made
(``read_options``); types that reach the device over the network share the
options built by ``_reached`` and ``_http``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.config import MISSING
from moontwist.config.options import OURS, Option, SectionOptions

if TYPE_CHECKING:
    from moontwist.config import Section

TYPE = Option("type", "str", MISSING, "The kind of device; the options of each kind follow.")

POWER = SectionOptions(
    "power",
    "A power device switched through the API, by Klipper's macros, on Klipper's shutdown or a queued job.",
    (
        TYPE,
        Option("locked_while_printing", "bool", False, "Refuse `on`, `off` and `toggle` while Klipper prints."),
        Option("off_when_shutdown", "bool", False,
               "Switch off when Klipper shuts down (not for `klipper_device`)."),
        Option("off_when_shutdown_delay", "float", 0.0,
               "Seconds after Klipper's shutdown before switching off (with `off_when_shutdown`).", minval=0.0),
        Option("restart_klipper_when_powered", "bool", False,
               "FIRMWARE_RESTART after powering on unless Klipper is ready by then (not for `klipper_device`)."),
        Option("restart_delay", "float", 1.0,
               "Seconds after powering on before that restart (with `restart_klipper_when_powered`).",
               above=0.000001),
        Option("bound_services", "list", [], "Services started when the device goes on and stopped when it "
               "goes off, one a line."),
        Option("bound_service", "str", None, "One more such service."),
        Option("on_when_job_queued", "bool", False, "Power on when a job is added to the queue."),
        Option("on_when_upload_queued", "bool", False, "Deprecated name of `on_when_job_queued`.",
               deprecated=True),
        Option("initial_state", "bool", None, "State to set once the device is first reached (none: leave it)."),
        Option("restrict_action_processing", "bool", True,
               "A change found by a status refresh only notifies, without bound services or restarts."),
        Option("poll_interval", "float", None, "Seconds between status refreshes (none: only on request); "
               "not for `gpio`, `rf`, `klipper_device`.", minval=1.0),
    ),
    named=True,
)

_TIMEOUT = Option("timeout", "float", 5.0, "Seconds a call to the device may take before it counts as not "
                  "answering.", origin=OURS, above=0.0)
_TIMER = Option("timer", "float", None, "Seconds after which the device, switched on, goes off again.",
                above=0.000001)
_PIN = Option("pin", "str", MISSING, "The output line: `[!]gpiochipN/gpioM` (`!` inverted).")
_SWITCH_TIMER = Option("timer", "str", "", "Seconds the device waits before switching off (its own timer).")


def _table(variant: str, help: str, *options: Option) -> SectionOptions:
    return SectionOptions("power", help, options, named=True, variant=variant)


def _http(port: int = -1, user: str = "", password: str = "", protocol: str = "http") -> tuple[Option, ...]:
    """The options of every type switched over HTTP, with that type's defaults."""
    return (
        Option("address", "str", MISSING, "The device's host, `host[:port][/path]` (the `:port` is ours)."),
        Option("port", "int", port, "The device's port (-1: 443 for https, else 80)."),
        Option("protocol", "str", protocol, "`http` or `https`."),
        Option("user", "template", user, "User name (e.g. `{secrets.plug.user}`)."),
        Option("password", "template", password, "Password (e.g. `{secrets.plug.password}`)."),
        _TIMEOUT,
    )


POWER_TYPES: dict[str, SectionOptions] = {table.variant: table for table in (
    _table("gpio", "A GPIO output line of this machine (needs the `gpiod` package).", _PIN, _TIMER),
    _table("rf", "A 433 MHz socket keyed through a transmitter on a GPIO line.", _PIN, _TIMER,
           Option("on_code", "str", MISSING, "Binary code that switches on (zero-padded to 24 bits)."),
           Option("off_code", "str", MISSING, "Binary code that switches off (zero-padded to 24 bits).")),
    _table("klipper_device", "A Klipper `output_pin` or `gcode_macro`, switched while Klipper is ready.",
           Option("object_name", "str", MISSING, "`output_pin NAME` or `gcode_macro NAME`."), _TIMER),
    _table("tplink_smartplug", "A TP-Link Kasa plug or power strip.",
           Option("address", "str", MISSING, "The plug's host, `host[:port]` (the `:port` is ours; "
                  "`host/outlet` is deprecated)."),
           Option("output_id", "int", None, "Outlet index of a power strip (none: a single plug)."),
           Option("port", "int", 9999, "The plug's TCP port."),
           _SWITCH_TIMER, _TIMEOUT),
    _table("tasmota", "A Tasmota relay.", *_http(user="admin"),
           Option("output_id", "int", 1, "Relay number (`Power<N>`)."), _SWITCH_TIMER),
    _table("shelly", "A Shelly relay (Gen 1 API).", *_http(user="admin"),
           Option("output_id", "int", 0, "Relay number (`/relay/<N>`)."), _SWITCH_TIMER),
    _table("homeseer", "A HomeSeer device.", *_http(user="admin"),
           Option("device", "int", MISSING, "The HomeSeer device reference number.")),
    _table("homeassistant", "A Home Assistant entity.", *_http(port=8123),
           Option("device", "str", MISSING, "The entity id, e.g. `switch.printer`."),
           Option("token", "template", MISSING, "A long-lived access token (e.g. `{secrets.home_assistant.token}`)."),
           Option("domain", "str", "switch", "The service domain used to switch (`switch`, `light`...)."),
           Option("status_delay", "float", 1.0, "Seconds between switching and reading the new state back.")),
    _table("loxonev1", "A Loxone Miniserver (version 1) input or output.", *_http(user="admin", password="admin"),
           Option("output_id", "str", "", "The Miniserver's input or output name.")),
    _table("smartthings", "A SmartThings device.", *_http(port=443, protocol="https"),
           Option("token", "template", MISSING, "A personal access token (e.g. `{secrets.smartthings.token}`)."),
           Option("device", "str", "", "The SmartThings device id.")),
    _table("hue", "A Philips Hue light or group (`user` is the bridge's API key).", *_http(port=80),
           Option("device_id", "str", MISSING, "The light or group id on the bridge."),
           Option("device_type", "str", "light", "`light` or `group`.")),
    _table("http", "Any device switched by HTTP requests (templates rendered once, at start).",
           Option("on_url", "template", MISSING, "URL that switches on."),
           Option("off_url", "template", MISSING, "URL that switches off."),
           Option("status_url", "template", MISSING, "URL that tells the state."),
           Option("user", "template", "", "Basic auth user (with `password`)."),
           Option("password", "template", "", "Basic auth password (with `user`)."),
           Option("request_template", "jinja_async", None, "Jinja2 template that sends each request "
                  "(default: GET)."),
           Option("response_template", "jinja_async", MISSING, "Jinja2 template that reads the answer and "
                  "renders `on` or `off`."),
           _TIMEOUT),
    _table("uhubctl", "A USB hub port switched with `uhubctl` (which must be installed).",
           Option("location", "str", MISSING, "The hub's location as `uhubctl` names it (e.g. `1-1`)."),
           Option("port", "int", None, "The hub's port (none: the first port `uhubctl` reports)."),
           _TIMEOUT),
    _table("mqtt", "A device switched over MQTT (needs the `[mqtt]` component).",
           Option("command_topic", "str", MISSING, "Topic commands are published to."),
           Option("command_payload", "jinja", MISSING, "Template of the command payload (`command` is `on` or "
                  "`off`)."),
           Option("retain_command_state", "bool", False, "Publish commands retained."),
           Option("query_topic", "str", None, "Topic state queries are published to (none: the device "
                  "publishes its state retained)."),
           Option("query_payload", "jinja", None, "Template of the query payload (none: empty)."),
           Option("query_after_command", "bool", False, "Query the state after each command (with `query_topic`)."),
           Option("state_topic", "str", MISSING, "Topic the device publishes its state on."),
           Option("state_response_template", "jinja", "{payload}", "Template that renders a state payload as "
                  "`on` or `off` (`discard`: ignore it); sees `payload`, `last_request`, `response_count`."),
           Option("state_timeout", "float", 2.0, "Seconds to wait for the state after a command or query.",
                  above=0.0),
           Option("qos", "int", None, "QoS of the device's topics (none: `[mqtt] default_qos`).", minval=0,
                  maxval=2)),
)}


def read_options(section: "Section") -> dict[str, Any]:
    """The common options of a device and those of its type (a type without a table has none)."""
    options = POWER.read(section)
    table = POWER_TYPES.get(options["type"])
    if table is not None:
        options.update(table.read(section))
    return options
