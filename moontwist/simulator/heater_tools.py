"""PID_CALIBRATE and QUERY_ADC, loaded with the `heaters` object as in Klippy."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await
from moontwist.simulator.physics import AMBIENT

if TYPE_CHECKING:
    from moontwist.simulator.heaters import Heater, PrinterHeaters
    from moontwist.simulator.host import KlippyHost

PULLUP = 4700.0
THERMISTOR_R25, THERMISTOR_BETA = 100000.0, 3950.0


def thermistor_adc(temperature: float) -> float:
    """The ADC reading (0..1) of a 100k/3950 thermistor under a 4.7k pullup."""
    kelvin = max(temperature, -50.0) + 273.15
    resistance = THERMISTOR_R25 * math.exp(THERMISTOR_BETA * (1.0 / kelvin - 1.0 / (AMBIENT + 273.15)))
    return resistance / (resistance + PULLUP)


class HeaterTools:
    cmd_PID_CALIBRATE_help = "Run PID calibration test"
    cmd_QUERY_ADC_help = "Report the last value of an analog pin"

    def __init__(self, host: KlippyHost, heaters: PrinterHeaters):
        self.host = host
        self.heaters = heaters
        host.gcode.register_command("QUERY_ADC", self.cmd_QUERY_ADC, desc=self.cmd_QUERY_ADC_help)
        host.gcode.register_command("PID_CALIBRATE", self.cmd_PID_CALIBRATE, desc=self.cmd_PID_CALIBRATE_help)

    def cmd_QUERY_ADC(self, gcmd: GCodeCommand) -> None:
        name = gcmd.get("NAME", None)
        analog = {key: sensor for key, sensor in self.heaters.sensors.items() if getattr(sensor, "adc", False)}
        if name not in analog:
            gcmd.respond_info("Available ADC objects: %s" % ", ".join(f'"{key}"' for key in sorted(analog)))
            return
        now = self.host.monotonic()
        value = thermistor_adc(analog[name].get_temp(now)[0])
        message = 'ADC object "%s" has value %.6f (timestamp %.3f)' % (name, value, now)
        pullup = gcmd.get_float("PULLUP", None, above=0.0)
        if pullup is not None:
            ratio = max(0.00001, min(0.99999, value))
            message += "\n resistance %.3f (with %.0f pullup)" % (pullup * ratio / (1.0 - ratio), pullup)
        gcmd.respond_info(message)

    def cmd_PID_CALIBRATE(self, gcmd: GCodeCommand) -> Deferred[None]:
        name = gcmd.get("HEATER")
        target = gcmd.get_float("TARGET")
        gcmd.get_int("WRITE_FILE", 0)
        heater = self.heaters.heaters.get(name)
        if heater is None:
            raise CommandError(f"Unknown heater '{name}'")
        return Deferred.fromCoroutine(self._calibrate(heater, target, gcmd))

    async def _calibrate(self, heater: Heater, target: float, gcmd: GCodeCommand) -> None:
        await maybe_await(self.heaters.set_temperature(heater, target, wait=True))
        heater.set_temp(0.0)
        body = heater.body
        kp = 1.0 / (body.heat_rate * 0.02)
        ki = kp * body.loss_rate * 2.0
        kd = kp / (body.loss_rate * 8.0)
        gcmd.respond_info(
            "PID parameters: pid_Kp=%.3f pid_Ki=%.3f pid_Kd=%.3f\n"
            "The SAVE_CONFIG command will update the printer config file\n"
            "with these parameters and restart the printer." % (kp, ki, kd))
        autosave = self.host.lookup_object("configfile").autosave
        autosave.set(heater.name, "control", "pid")
        autosave.set(heater.name, "pid_Kp", "%.3f" % kp)
        autosave.set(heater.name, "pid_Ki", "%.3f" % ki)
        autosave.set(heater.name, "pid_Kd", "%.3f" % kd)
