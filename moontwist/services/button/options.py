"""``[button NAME]`` options."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

BUTTON = SectionOptions(
    "button",
    "A GPIO input whose presses and releases run templates (at least one of `on_press`, `on_release`).",
    (
        Option("type", "str", "gpio", "Kind of button; `gpio` is the only one (in Moonraker too)."),
        Option("pin", "str", MISSING, "The input line: `[^|~][!]gpiochipN/gpioM` (`^` pull-up, `~` pull-down, "
               "`!` inverted)."),
        Option("minimum_event_time", "float", 0.0,
               "Events sooner than this many seconds after the last are ignored.", minval=0.0),
        Option("debounce_period", "float", 0.05, "Seconds a level must hold before it counts.", minval=0.01),
        Option("on_press", "jinja_async", None, "Template run when the button is pressed."),
        Option("on_release", "jinja_async", None, "Template run when the button is released."),
    ),
    named=True,
)
