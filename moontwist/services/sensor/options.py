"""``[sensor NAME]`` options: those of every sensor, then those of its ``type``.

Besides these, ``parameter_NAME`` (``key=value`` lines describing a measured value,
e.g. ``units=kWh``) and ``history_field_NAME`` (a value tracked per job:
``parameter=``, ``strategy=``, ``units=``, ``desc=``, ``init_tracker=``,
``exclude_paused=``, ``report_total=``, ``report_maximum=``, ``precision=``) may be
given any number of times; their names are the user's, so they are read by prefix.
"""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

SENSOR = SectionOptions(
    "sensor",
    "A sensor whose measurements clients show and history tracks per job; also `parameter_NAME` "
    "(`units=W` ... lines) and `history_field_NAME` (`parameter=`, `strategy=`, `units=`, `desc=` ... lines).",
    (
        Option("type", "str", MISSING, "The kind of sensor; `mqtt` is the only one (in Moonraker too)."),
        Option("name", "str", None, "The name clients show (none: the section's NAME)."),
        Option("sensor_store_size", "int", 1200,
               "How many once-a-second values each parameter keeps for `server.sensors.measurements`."),
    ),
    named=True,
)

SENSOR_MQTT = SectionOptions(
    "sensor",
    "Measurements from the payloads of an MQTT topic (needs the `[mqtt]` component).",
    (
        Option("state_topic", "str", MISSING, "Topic whose payloads carry the measurements."),
        Option("state_response_template", "jinja", MISSING,
               "Template that calls `set_result(name, value)` for each value in `payload`."),
        Option("qos", "int", None, "QoS of the subscription (none: `[mqtt] default_qos`).", minval=0, maxval=2),
    ),
    named=True,
    variant="mqtt",
)
