"""The smaller printer objects: fan, idle_timeout, display_status, respond,
system_stats and mcu."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IDelayedCall
from twisted.python.failure import Failure

from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.macros import Templates

READY_TIMEOUT = 0.5
M73_TIMEOUT = 5.0
DEFAULT_IDLE_GCODE = """
{% if 'heaters' in printer %}
   TURN_OFF_HEATERS
{% endif %}
M84
"""


class PrinterFan:
    """The part cooling `fan` with M106/M107."""

    def __init__(self, host: KlippyHost, section: ConfigSection):
        section.get("pin")
        self.max_power: float = section.getfloat("max_power", 1.0)
        self.off_below: float = section.getfloat("off_below", 0.0)
        section.getfloat("kick_start_time", 0.1)
        section.getfloat("cycle_time", 0.010)
        section.getboolean("hardware_pwm", False)
        section.getfloat("shutdown_speed", 0.0)
        self._status: dict[str, Any] = {"speed": 0.0, "rpm": None}
        host.gcode.register_command("M106", self.cmd_M106)
        host.gcode.register_command("M107", self.cmd_M107)
        host.register_event_handler("gcode:request_restart", lambda: self.set_speed(0.0))
        host.register_event_handler("klippy:shutdown", lambda: self.set_speed(0.0))

    def set_speed(self, value: float) -> None:
        if value < self.off_below:
            value = 0.0
        value = max(0.0, min(self.max_power, value * self.max_power))
        if value != self._status["speed"]:
            self._status = {"speed": value, "rpm": None}

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status

    def cmd_M106(self, gcmd: GCodeCommand) -> None:
        self.set_speed(gcmd.get_float("S", 255.0, minval=0.0) / 255.0)

    def cmd_M107(self, gcmd: GCodeCommand) -> None:
        self.set_speed(0.0)


class IdleTimeout:
    """The `idle_timeout` object: Idle → Printing on toolhead activity, Ready
    half a second after the queue drains, Idle again (heaters and motors off)
    after ``timeout`` seconds of Ready."""

    cmd_SET_IDLE_TIMEOUT_help = "Set the idle timeout in seconds"

    def __init__(self, host: KlippyHost, section: ConfigSection, templates: Templates):
        self.host = host
        self.idle_timeout: float = section.getfloat("timeout", 600.0, above=0.0)
        self.idle_gcode = templates.load(section, "gcode", DEFAULT_IDLE_GCODE)
        self.state = "Idle"
        self.last_print_start = 0.0
        self.timer: IDelayedCall | None = None
        host.gcode.register_command("SET_IDLE_TIMEOUT", self.cmd_SET_IDLE_TIMEOUT, desc=self.cmd_SET_IDLE_TIMEOUT_help)
        host.register_event_handler("toolhead:sync_print_time", self._handle_sync_print_time)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        printing_time = eventtime - self.last_print_start if self.state == "Printing" else 0.0
        return {"state": self.state, "printing_time": printing_time, "idle_timeout": self.idle_timeout}

    def _schedule(self, delay: float) -> None:
        self.host.timers.cancel(self.timer)
        self.timer = self.host.timers.call_later(delay, self._timeout_handler)

    def _handle_sync_print_time(self, now: float) -> None:
        if self.state == "Printing":
            return
        self.state = "Printing"
        self.last_print_start = now
        self._schedule(READY_TIMEOUT + self._buffer_time(now))

    def _buffer_time(self, now: float) -> float:
        return max(0.0, self.host.lookup_object("toolhead").queue_end - now)

    def _timeout_handler(self) -> None:
        self.timer = None
        host = self.host
        if host.is_shutdown():
            return
        now = host.monotonic()
        if self.state == "Ready":
            self._check_idle_timeout(now)
            return
        idle_for = now - host.lookup_object("toolhead").queue_end
        if idle_for < READY_TIMEOUT:
            self._schedule(READY_TIMEOUT - idle_for)
        elif host.gcode.mutex.locked:
            self._schedule(READY_TIMEOUT)
        else:
            self.state = "Ready"
            self._schedule(self.idle_timeout)

    def _check_idle_timeout(self, now: float) -> None:
        idle_for = now - self.host.lookup_object("toolhead").queue_end
        if idle_for < self.idle_timeout:
            self._schedule(self.idle_timeout - idle_for)
            return
        if self.host.gcode.mutex.locked:
            self._schedule(1.0)
            return
        self.state = "Printing"
        try:
            script = self.idle_gcode.render()
        except CommandError:
            self._idle_gcode_failed(Failure())
            return
        idle_gcode = self.host.gcode.run_script(script)
        idle_gcode.addCallbacks(self._went_idle, self._idle_gcode_failed)

    def _went_idle(self, result: None) -> None:
        self.state = "Idle"

    def _idle_gcode_failed(self, failure: Failure) -> None:
        failure.trap(CommandError)
        self.state = "Ready"
        self._schedule(1.0)

    def cmd_SET_IDLE_TIMEOUT(self, gcmd: GCodeCommand) -> None:
        self.idle_timeout = gcmd.get_float("TIMEOUT", self.idle_timeout, above=0.0)
        gcmd.respond_info("idle_timeout: Timeout set to %.2f s" % (self.idle_timeout,))
        if self.state == "Ready":
            self._schedule(self.idle_timeout)


class DisplayStatus:
    """The `display_status` object: M117 message and M73 progress."""

    cmd_SET_DISPLAY_TEXT_help = "Set or clear the display message"

    def __init__(self, host: KlippyHost):
        self.host = host
        self.progress: float | None = None
        self.expire_progress = 0.0
        self.message: str | None = None
        host.gcode.register_command("M73", self.cmd_M73)
        host.gcode.register_command("M117", self.cmd_M117)
        host.gcode.register_command("SET_DISPLAY_TEXT", self.cmd_SET_DISPLAY_TEXT, desc=self.cmd_SET_DISPLAY_TEXT_help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        progress = self.progress
        if progress is not None and eventtime > self.expire_progress:
            if self.host.lookup_object("idle_timeout").state != "Printing":
                self.progress = progress = None
        if progress is None:
            sdcard = self.host.objects.get("virtual_sdcard")
            progress = sdcard.get_status(eventtime)["progress"] if sdcard is not None else 0.0
        return {"progress": progress, "message": self.message}

    def cmd_M73(self, gcmd: GCodeCommand) -> None:
        progress = gcmd.get_float("P", None)
        if progress is not None:
            self.progress = min(1.0, max(0.0, progress / 100.0))
            self.expire_progress = self.host.monotonic() + M73_TIMEOUT

    def cmd_M117(self, gcmd: GCodeCommand) -> None:
        self.message = gcmd.raw_parameters() or None

    def cmd_SET_DISPLAY_TEXT(self, gcmd: GCodeCommand) -> None:
        self.message = gcmd.get("MSG", None)


class HostResponder:
    """`[respond]`: M118 and RESPOND."""

    cmd_RESPOND_help = "Echo the message prepended with a prefix"
    PREFIXES = {"echo": "echo:", "command": "//", "error": "!!"}

    def __init__(self, host: KlippyHost, section: ConfigSection):
        default_type = section.getchoice("default_type", list(self.PREFIXES), "echo")
        self.default_prefix: str = section.get("default_prefix", self.PREFIXES[default_type])
        host.gcode.register_command("M118", self.cmd_M118, True)
        host.gcode.register_command("RESPOND", self.cmd_RESPOND, True, self.cmd_RESPOND_help)

    def cmd_M118(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_raw(f"{self.default_prefix} {gcmd.raw_parameters()}")

    def cmd_RESPOND(self, gcmd: GCodeCommand) -> None:
        prefix = self.default_prefix
        no_space = False
        respond_type = gcmd.get("TYPE", None)
        if respond_type is not None:
            respond_type = respond_type.lower()
            if respond_type in self.PREFIXES:
                prefix = self.PREFIXES[respond_type]
            elif respond_type == "echo_no_space":
                prefix, no_space = "echo:", True
            else:
                raise CommandError(
                    f"RESPOND TYPE '{respond_type}' is invalid. Must be one of 'echo', 'command', or 'error'"
                )
        prefix = gcmd.get("PREFIX", prefix)
        message = gcmd.get("MSG", "")
        gcmd.respond_raw(f"{prefix}{message}" if no_space else f"{prefix} {message}")


class SystemStats:
    """The `system_stats` object: this process's real load, CPU time and free memory, each second."""

    def __init__(self) -> None:
        self._status: dict[str, Any] = {"sysload": 0.0, "cputime": 0.0, "memavail": 0}

    def stats(self, eventtime: float) -> None:
        memavail = self._status["memavail"]
        try:
            with open("/proc/meminfo") as meminfo:
                for line in meminfo:
                    if line.startswith("MemAvailable:"):
                        memavail = int(line.split()[1])
                        break
        except OSError:
            pass
        self._status = {"sysload": os.getloadavg()[0], "cputime": time.process_time(), "memavail": memavail}

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status


class Mcu:
    """The `mcu` object: a plausible STM32 with serial statistics that grow each second."""

    def __init__(self, host: KlippyHost, section: ConfigSection, software_version: str):
        if section.get("canbus_uuid", None) is None:
            section.get("serial")
            section.getint("baud", 250000)
        self.origin = host.monotonic()
        self._static = {
            "mcu_version": software_version,
            "mcu_build_versions": "gcc: (15:10.3-2021.07-4) 10.3.1 20210621 (release) binutils: (2.38-3ubuntu1+15build1) 2.38",
            "mcu_constants": {
                "ADC_MAX": 4095, "BUS_PINS_spi1": "PA6,PA7,PA5", "CLOCK_FREQ": 180000000,
                "MCU": "stm32f446xx", "PWM_MAX": 255, "RESERVE_PINS_USB": "PA11,PA12",
                "RECEIVE_WINDOW": 192, "SERIAL_BAUD": 250000, "STATS_SUMSQ_BASE": 256,
                "STEPPER_OPTIMIZED_EDGE": 1,
            },
        }
        self._status: dict[str, Any] = dict(self._static, last_stats={})

    def stats(self, eventtime: float) -> None:
        uptime = eventtime - self.origin
        sequence = int(uptime * 12)
        self._status = dict(self._static, last_stats={
            "mcu_awake": 0.003, "mcu_task_avg": 0.000011, "mcu_task_stddev": 0.000009,
            "bytes_write": int(uptime * 180) + 1400, "bytes_read": int(uptime * 1150) + 9600,
            "bytes_retransmit": 9, "bytes_invalid": 0, "send_seq": sequence + 300, "receive_seq": sequence + 300,
            "retransmit_seq": 2, "srtt": 0.001, "rttvar": 0.0, "rto": 0.025,
            "ready_bytes": 0, "upcoming_bytes": 0, "freq": 180000105,
        })

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status
