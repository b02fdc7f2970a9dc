"""USB, serial, video and CAN devices of the host, for ``machine.peripherals.*``."""

from moontwist.services.machine.peripherals.endpoints import PeripheralEndpoints

__all__ = ["PeripheralEndpoints"]
