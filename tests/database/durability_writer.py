"""Write keys k0, k1, ... through the database API forever; print each acknowledged one.

Run by ``test_durability``, which SIGKILLs this process mid-stream and then
checks that every printed key is in the store. Usage::

    python -m tests.database.durability_writer DATA_PATH
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react

from moontwist.api import Request
from moontwist.context import Options, ServerContext
from moontwist.services.database import DatabaseService

IN_FLIGHT = 16
NAMESPACE = "durability"


def main(reactor: Any, data_path: Path) -> "Deferred[None]":
    options = Options(data_path, data_path / "moonraker.conf", None, data_path / "moonraker.sock")
    ctx = ServerContext(reactor, options, config=None)  # type: ignore[arg-type]
    service = DatabaseService(ctx)
    ctx.add_component("database", service)
    service.startService()
    indexes = itertools.count()

    def write_next() -> None:
        index = next(indexes)
        arguments = {"namespace": NAMESPACE, "key": f"k{index}", "value": index}
        request = Request("server.database.post_item", arguments)
        ctx.registry.dispatch(request).addCallback(acknowledged, index)

    def acknowledged(_: Any, index: int) -> None:
        sys.stdout.write(f"{index}\n")
        sys.stdout.flush()
        write_next()

    for _ in range(IN_FLIGHT):
        write_next()
    return Deferred()


if __name__ == "__main__":
    react(main, [Path(sys.argv[1])])
