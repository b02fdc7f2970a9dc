"""The host machine: system facts, process statistics, services, power, sudo."""

from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.proc_stats import ProcStatsService
from moontwist.services.machine.service import MachineService

__all__ = ["HostPaths", "MachineService", "ProcStatsService"]
