"""Build and start the daemon as ``twistd moontwist`` does, answer one
``server.info``, stop, and print the names of every imported module (JSON);
then import TLS as treq and the MQTT client do and say whether it works.

    python -m tests.integration.footprint_probe --datapath DIR [twistd moontwist options]

Run as its own process by test_footprint.py: only a fresh interpreter shows
what start-up imports.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from twisted.plugins.moontwist_plugin import serviceMaker


def main(argv: list[str]) -> None:
    options = serviceMaker.options()
    options.parseOptions(argv)
    root = serviceMaker.makeService(options)

    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    from moontwist.api import Request

    answers: list[Any] = []

    async def run() -> None:
        try:
            await root.ready
            answers.append(await root.ctx.registry.dispatch(Request("server.info")))
        finally:
            await root.stopService()
            reactor.stop()

    def start() -> None:
        root.startService()
        Deferred.fromCoroutine(run()).addErrback(lambda failure: answers.append(failure.getTraceback()))

    reactor.callWhenRunning(start)
    reactor.run()
    modules = sorted(sys.modules)
    print(json.dumps({"server_info": answers, "modules": modules, "tls_after": tls_after(reactor)}))


def tls_after(reactor: Any) -> dict[str, bool]:
    from twisted.internet import endpoints
    from twisted.internet.interfaces import IReactorSSL
    from twisted.internet.ssl import CertificateOptions

    return {
        "wrapClientTLS": endpoints.TLSMemoryBIOFactory is not None,
        "listenSSL": IReactorSSL.providedBy(reactor),
        "context": CertificateOptions().getContext() is not None,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
