"""``[sensor NAME]``: generic sensors (energy meters, enclosure probes) and their history."""

from moontwist.services.sensor.service import SensorService

__all__ = ["SensorService"]
