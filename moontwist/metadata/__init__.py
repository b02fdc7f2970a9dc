"""G-code metadata and thumbnail extraction, as Moonraker does it.

Pure and blocking: the file manager runs it with ``deferToThread``.
"""

from moontwist.metadata.extract import extract
from moontwist.metadata.ufp import UfpError, unpack_ufp

__all__ = ["UfpError", "extract", "unpack_ufp"]
