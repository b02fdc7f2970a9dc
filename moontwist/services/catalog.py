"""Every option table moontwist declares, in the order ``docs/configuration.md`` lists them.

A new component adds its table here; ``tests/test_configuration_docs.py``
then asks for the regenerated document (``scripts/config-docs``).
"""

from __future__ import annotations

from moontwist.config.options import SectionOptions
from moontwist.config.secrets import SECRETS
from moontwist.services.authorization.options import AUTHORIZATION
from moontwist.services.database import DATABASE
from moontwist.services.files.options import FILE_MANAGER
from moontwist.services.jobs.options import HISTORY, JOB_QUEUE
from moontwist.services.klippy.options import DATA_STORE
from moontwist.services.machine.options import MACHINE
from moontwist.services.octoprint import OCTOPRINT_COMPAT
from moontwist.services.server_options import SERVER
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
    ZEROCONF,
    SECRETS,
)


if __name__ == "__main__":
    from moontwist.config.reference import render

    print(render(TABLES), end="")
