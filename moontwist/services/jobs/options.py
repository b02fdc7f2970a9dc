"""``[job_queue]`` and ``[history]`` options."""

from __future__ import annotations

from moontwist.config.options import Option, SectionOptions

JOB_QUEUE = SectionOptions(
    "job_queue",
    "The queue of jobs printed one after another.",
    (
        Option("load_on_startup", "bool", False, "Start the next queued job when Klippy becomes ready."),
        Option("automatic_transition", "bool", False, "Start the next job when one completes."),
        Option("job_transition_delay", "float", 0.01, "Seconds to wait before loading the next job.", above=0.0),
        Option("job_transition_gcode", "str", "", "G-code run before loading the next job."),
    ),
)

HISTORY = SectionOptions("history", "Print history and totals. No options; served whether or not present.")
