"""moonraker.conf: parsing, includes, secrets, typed reads and the warnings about them.

``load_config`` reads the files once at start-up; services then read their
options through ``Config.section(name)``'s typed getters.
"""

from moontwist.config.errors import ConfigError
from moontwist.config.loader import Config, load_config
from moontwist.config.section import MISSING, Section

__all__ = ["MISSING", "Config", "ConfigError", "Section", "load_config"]
