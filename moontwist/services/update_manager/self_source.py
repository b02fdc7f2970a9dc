"""How moontwist was installed, which decides what its ``moonraker`` entry updates.

- Installed from a git clone (``scripts/install`` installs the clone in editable
  mode): the entry is a ``git_repo`` on that clone, so an update is a git
  transaction like Klipper's. Installed from a clone without editable mode
  (``pip install .``), the running copy in site-packages is replaced by an
  editable install of the clone after its first update.
- Installed from a package index: a ``python`` entry on that index.
- Not installed (run from a source tree with ``PYTHONPATH``: ``scripts/run``,
  the tests): no entry, there is no installation to update.

pip records where it installed a project from in the distribution's
``direct_url.json`` (PEP 610); that is read once, at start-up, from disk.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

DISTRIBUTION = "moontwist"
PREFIX = Path(sys.prefix)


@dataclass(frozen=True)
class SelfSource:
    clone: Path | None
    """The git clone moontwist was installed from (None: from an index)."""
    editable: bool
    """Installed in editable mode: the running code is the clone's own tree."""
    virtualenv: Path
    """The environment moontwist is installed in."""


def find_source(distribution: metadata.Distribution | None = None) -> SelfSource | None:
    """``distribution``: the installed ``moontwist`` (looked up in this environment when None);
    None when moontwist is not installed."""
    if distribution is None:
        try:
            distribution = metadata.distribution(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return None
    installed_from, editable = _installed_from(distribution)
    if installed_from is not None and (installed_from / ".git").exists():
        return SelfSource(installed_from, editable, PREFIX)
    return SelfSource(None, False, PREFIX)


def _installed_from(distribution: metadata.Distribution) -> tuple[Path | None, bool]:
    """The local folder pip installed the distribution from, and whether in editable mode."""
    try:
        record = json.loads(distribution.read_text("direct_url.json") or "null")
    except ValueError:
        return None, False
    if not isinstance(record, dict) or not isinstance(record.get("url"), str):
        return None, False
    url = urlparse(record["url"])
    dir_info = record.get("dir_info")
    if url.scheme != "file" or not isinstance(dir_info, dict):
        return None, False
    return Path(unquote(url.path)), bool(dir_info.get("editable", False))
