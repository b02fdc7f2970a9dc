"""Run the simulator standalone, as Klippy is run:
``python -m moontwist.simulator --socket PATH --config printer.cfg -l klippy.log``."""

from __future__ import annotations

import argparse
import os
import sys

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver

from moontwist.simulator.printer import INITIAL_STATES, SimulatedPrinter


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m moontwist.simulator", description=__doc__)
    parser.add_argument("-a", "--socket", required=True, help="Unix socket path to serve the Klippy API on")
    parser.add_argument("--gcodes", default="gcodes", help="folder SDCARD_PRINT_FILE prints from (created if missing)")
    parser.add_argument("--config", default=None,
                        help="printer.cfg to read (default: config/printer.cfg beside the gcodes folder; "
                             "an example is written there if missing)")
    parser.add_argument("-l", "--logfile", default=None, help="write klippy.log here (default: no log file)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated time runs this many times faster")
    parser.add_argument("--state", choices=INITIAL_STATES, default="ready", help="how the first start ends")
    parser.add_argument("--startup-delay", type=float, default=0.5, help="seconds spent in startup after a restart")
    return parser.parse_args(argv)


def main(reactor: object, argv: list[str]) -> Deferred[None]:
    args = parse_args(argv)
    os.makedirs(args.gcodes, exist_ok=True)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)])
    if args.speed <= 0:
        raise SystemExit("--speed must be positive")
    printer = SimulatedPrinter(reactor, args.gcodes, args.speed, args.state, args.startup_delay,  # type: ignore[arg-type]
                               config_path=args.config, log_path=args.logfile)
    listening = printer.listen(args.socket)
    reactor.addSystemEventTrigger("before", "shutdown", printer.stop)  # type: ignore[attr-defined]
    Logger().info("Klippy simulator listening on {socket} (gcodes: {gcodes}, config: {config})",
                  socket=args.socket, gcodes=printer.gcodes_path, config=printer.config_path)
    forever: Deferred[None] = Deferred()
    listening.addErrback(forever.errback)
    return forever


if __name__ == "__main__":
    react(main, (sys.argv[1:],))
