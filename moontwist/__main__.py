"""The ``moontwist`` command: Moonraker's command line, the same service as ``twistd moontwist``.

``moontwist [-d DATA] [-c CONF] [-l LOG] [-n] [-u SOCK] [-v] [-g]`` serves in the
foreground (what systemd wants) and leaves no pid or log file in the current
folder; ``MOONRAKER_ARGS`` from an existing ``moonraker.env`` works as written
(``-m moonraker ...``, ``.../moonraker.py ...``). ``moontwist migrate --check``
tells what a switch from Moonraker keeps and what it loses.
"""

from __future__ import annotations

import gc
import sys
from typing import Any, TextIO

from twisted.logger import FilteringLogObserver, globalLogBeginner, textFileLogObserver

from moontwist import API_VERSION, __version__
from moontwist.cli import moonraker_parser, resolve, strip_installer_prefix
from moontwist.context import Options
from moontwist.startup import EXIT_FAILURE, StartupError, exit_when_start_fails, report

# The daemon's modules are imported only once the command line and environment
# are read: importing twisted.internet.endpoints removes systemd's LISTEN_FDS
# and LISTEN_PID from the environment (Twisted's own systemd endpoint parser).


def version_line() -> str:
    return f"moontwist {__version__} (Moonraker API {'.'.join(map(str, API_VERSION))})"


def main(argv: list[str] | None = None) -> None:
    args = strip_installer_prefix(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["migrate"]:
        sys.exit(migrate(args[1:]))
    parsed = moonraker_parser().parse_args(args)
    if parsed.version:
        print(version_line())
        return
    sys.exit(serve(resolve(vars(parsed))))


def serve(options: Options, reactor: Any = None) -> int:
    """Run the daemon until it stops; the exit status (a failed start exits 1 on its own)."""
    # As with twistd's plugin: start-up runs without the garbage collector
    # (services/collector.py collects and freezes once the daemon is up), and
    # before anything imports the reactor, TLS is made to import when first
    # used (moontwist/deferred_tls.py).
    gc.disable()
    from moontwist.deferred_tls import import_without_tls

    import_without_tls()
    from moontwist.app import build
    from moontwist.logfile import log_filters

    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    # With a log file, stdout carries nothing (under systemd it would be a second
    # copy in the journal); with -n it carries the log.
    observers = []
    if options.log_file is None:
        observers.append(FilteringLogObserver(textFileLogObserver(sys.stdout), log_filters(options.verbose)))
    globalLogBeginner.beginLoggingTo(observers, redirectStandardIO=False)
    try:
        root = build(options, reactor, freeze=True)
    except StartupError as error:
        report(str(error))
        return EXIT_FAILURE
    exit_when_start_fails(root.ready, reactor)
    reactor.callWhenRunning(root.startService)
    reactor.addSystemEventTrigger("before", "shutdown", root.stopService)
    reactor.run()
    return 0


def migrate(argv: list[str], out: TextIO | None = None) -> int:
    """``moontwist migrate --check``: what switching this data folder from Moonraker keeps and loses."""
    parser = moonraker_parser("moontwist migrate")
    parser.add_argument("--check", action="store_true", help="only report; change nothing")
    parsed = parser.parse_args(argv)
    out = sys.stdout if out is None else out
    if not parsed.check:
        parser.error("Moonraker's database is imported at the first start; "
                     "--check reports what a switch keeps and loses")
    options = resolve({**vars(parsed), "nologfile": True})
    if not options.data_path.is_dir():
        print(f"No data folder at {options.data_path}", file=out)
        return EXIT_FAILURE
    print(f"{version_line()}: switching {options.data_path} from Moonraker", file=out)
    _check_database(options, out)
    return _check_config(options, out)


def _check_database(options: Options, out: TextIO) -> None:
    from moontwist.database import store_path
    from moontwist.database.backup import BackupError, read_source
    from moontwist.database.migration import Summary, moonraker_database

    source = moonraker_database(options.data_path)
    print("\nDatabase", file=out)
    if source is None:
        print("  no Moonraker database (database/moonraker-sql.db or data.mdb): nothing to import", file=out)
        return
    if (store_path(options.data_path) / "data.mdb").exists():
        print(f"  moontwist already has its database; {source.name} is not imported again", file=out)
        return
    try:
        imported = read_source(source)
    except BackupError as error:
        print(f"  loses: {source} cannot be read: {error}", file=out)
        return
    summary = Summary.of(imported)
    records = sum(summary.namespaces.values())
    print(f"  keeps: {records} records of {source} ({summary.describe()})", file=out)
    print("  imported at the first start; the file stays as it is, for switching back", file=out)
    for problem in imported.skipped:
        print(f"  loses: {problem}", file=out)


def _check_config(options: Options, out: TextIO) -> int:
    from moontwist.app import build
    from moontwist.services.catalog import TABLES

    print(f"\nConfig {options.config_file}", file=out)
    try:
        root = build(options, prepare=False)
    except StartupError as error:
        print(f"  moontwist would not start: {error}", file=out)
        return EXIT_FAILURE
    ctx = root.ctx  # type: ignore[attr-defined]
    config = ctx.config
    served = [name for name in config.sections() if name in ctx.config.server_config()["config"]]
    print(f"  keeps: {', '.join(f'[{name}]' for name in served) or 'no sections'}", file=out)
    for table in TABLES:
        names = config.sections_with_prefix(f"{table.section} ") if table.named else [table.section]
        for name in filter(config.has_section, names):
            section = config.section(name)
            if table.variant and section.get_str("type", "") != table.variant:
                continue
            for option in table.options:
                if option.ignored and section.has_option(option.name):
                    print(f"  ignores: [{name}] {option.name} (accepted, no effect in moontwist)", file=out)
    for warning in ctx.warnings:
        print(f"  loses: {warning}", file=out)
    return 0


if __name__ == "__main__":
    main()
