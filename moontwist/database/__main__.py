"""``python -m moontwist.database export FILE | import FILE [--datapath DIR]``.

export writes a JSON backup of every namespace; import merges a JSON backup,
a Moonraker ``moonraker-sql.db`` or an old Moonraker lmdb folder into the
store. Run it while moontwist is stopped (the store allows one owner).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react

from moontwist.database.backup import BackupError, import_into, read_source, write_backup
from moontwist.database.store import DatabaseLocked, Store, store_path

DEFAULT_DATA_PATH = "~/printer_data"


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--datapath", default=DEFAULT_DATA_PATH, help=f"data path (default {DEFAULT_DATA_PATH})"
    )
    parser = argparse.ArgumentParser(prog="python -m moontwist.database", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", parents=[common], help="write a JSON backup")
    export.add_argument("file", type=Path)
    load = commands.add_parser(
        "import", parents=[common], help="import a JSON backup or a Moonraker database"
    )
    load.add_argument("file", type=Path)
    return parser.parse_args(argv)


async def run(reactor: Any, arguments: argparse.Namespace) -> None:
    store = Store(store_path(Path(arguments.datapath).expanduser()), reactor)
    try:
        if arguments.command == "export" and not (store.path / "data.mdb").is_file():
            raise BackupError(f"no database in {store.path}")
        source = read_source(arguments.file) if arguments.command == "import" else None
        store.open()
    except (BackupError, DatabaseLocked) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    try:
        if source is None:
            count = write_backup(store, arguments.file)
            print(f"exported {count} records to {arguments.file}")
        else:
            count = await import_into(store, source)
            for line in source.skipped:
                print(f"skipped {line}", file=sys.stderr)
            print(f"imported {count} records from {arguments.file}")
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    react(lambda reactor: Deferred.fromCoroutine(run(reactor, arguments)))


if __name__ == "__main__":
    main()
