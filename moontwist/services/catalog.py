"""Every option table moontwist declares, in the order ``docs/configuration.md`` lists them.

A new component adds its table here; ``tests/test_configuration_docs.py``
then asks for the regenerated document (``scripts/config-docs``).
"""

from __future__ import annotations

from moontwist.config.options import SectionOptions
from moontwist.config.secrets import SECRETS
from moontwist.services.announcements.options import ANNOUNCEMENTS
from moontwist.services.authorization.options import AUTHORIZATION
from moontwist.services.button.options import BUTTON
from moontwist.services.database import DATABASE
from moontwist.services.files.options import FILE_MANAGER
from moontwist.services.jobs.options import HISTORY, JOB_QUEUE
from moontwist.services.klippy.options import DATA_STORE
from moontwist.services.machine.options import MACHINE
from moontwist.services.mqtt.options import MQTT
from moontwist.services.notifier.options import NOTIFIER
from moontwist.services.octoprint import OCTOPRINT_COMPAT
from moontwist.services.power.options import POWER, POWER_TYPES
from moontwist.services.sensor.options import SENSOR, SENSOR_MQTT
from moontwist.services.server_options import SERVER
from moontwist.services.spoolman.options import SPOOLMAN
from moontwist.services.update_manager.options import TABLES as UPDATE_MANAGER
from moontwist.services.webcams.options import WEBCAM
from moontwist.services.wled.options import WLED, WLED_HTTP, WLED_SERIAL
from moontwist.services.zeroconf.options import ZEROCONF

TABLES: tuple[SectionOptions, ...] = (
    SERVER,
    AUTHORIZATION,
    FILE_MANAGER,
    DATABASE,
    MACHINE,
    DATA_STORE,
    JOB_QUEUE,
    HISTORY,
    OCTOPRINT_COMPAT,
    ANNOUNCEMENTS,
    WEBCAM,
    MQTT,
    SPOOLMAN,
    POWER,
    *POWER_TYPES.values(),
    WLED,
    WLED_HTTP,
    WLED_SERIAL,
    NOTIFIER,
    BUTTON,
    SENSOR,
    SENSOR_MQTT,
    *UPDATE_MANAGER,
    ZEROCONF,
    SECRETS,
)


if __name__ == "__main__":
    from moontwist.config.reference import render

    print(render(TABLES), end="")
