"""The update sources of scripts/ui-check's update step, on loopback: a local bare git
origin one tagged commit ahead of its install (tests/services/update_manager/fixtures.py's
Origin) and the test suite's fake GitHub (fake_github.py) publishing a Mainsail release
newer than a v1.0.0 install; imported, not copied.

    PYTHONPATH=. .venv/bin/python scripts/ui_update_fakes.py ROOT

Builds everything under ROOT, prints one line ``github=URL repo=PATH origin=PATH web=PATH``
once the fake GitHub listens, and serves until killed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from twisted.internet import reactor
from twisted.web.server import Site

from tests.services.update_manager.fake_github import FakeGitHub, release_zip
from tests.services.update_manager.fixtures import Origin, commit


def install_web(root: Path) -> Path:
    path = root / "mainsail"
    path.mkdir()
    (path / "index.html").write_text("<html>v1.0.0</html>")
    (path / "release_info.json").write_text(json.dumps(
        {"project_name": "mainsail", "project_owner": "mainsail-crew", "version": "v1.0.0"}))
    return path


def main() -> None:
    root = Path(sys.argv[1])
    origin = Origin(root)
    commit(origin.upstream, "klippy.py", "print(2)\n", tag="v0.2.0")
    origin.push()
    web = install_web(root)
    github = FakeGitHub()
    port = reactor.listenTCP(0, Site(github), interface="127.0.0.1")
    github.base = f"http://127.0.0.1:{port.getHost().port}"
    github.publish("v2.0.0", release_zip("v2.0.0"))
    print(f"github={github.base} repo={origin.install} origin={origin.bare} web={web}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
