"""Build and start the daemon as ``twistd moontwist`` does, answer one
``server.info``, stop, and print the names of every imported module and
whether the garbage collector, paused for start-up, runs again (JSON).
Then it checks that werkzeug's top-level names, skipped at start-up, load.

    python -m tests.integration.footprint_probe --datapath DIR [twistd moontwist options]

With ``FOOTPRINT_TLS_CERTS`` naming a folder holding ``moonraker.cert`` and
``moonraker.key`` (for ``localhost``), it then makes one TLS round trip on
loopback, as the HTTPS listener (``listenSSL``) and treq or the MQTT client
(``wrapClientTLS``) do, and says what came back.

Run as its own process by test_footprint.py: only a fresh interpreter shows
what start-up imports.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

from twisted.plugins.moontwist_plugin import serviceMaker

CERTS_VARIABLE = "FOOTPRINT_TLS_CERTS"
# A start that never completes ends the probe with an error after this long,
# so that a failing test fails instead of leaving a process behind.
GIVE_UP_SECONDS = 60


def main(argv: list[str]) -> None:
    options = serviceMaker.options()
    options.parseOptions(argv)
    root = serviceMaker.makeService(options)

    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    from moontwist.api import Request

    result: dict[str, Any] = {"server_info": []}

    async def run() -> None:
        try:
            await root.ready
            result["gc_enabled"] = gc.isenabled()
            result["server_info"].append(await root.ctx.registry.dispatch(Request("server.info")))
            await root.stopService()
            result["modules"] = sorted(sys.modules)
            # werkzeug's own names, left out at start-up, are there when asked for.
            from werkzeug import Request as WerkzeugRequest

            result["werkzeug_request"] = WerkzeugRequest.__name__
            certs = os.environ.get(CERTS_VARIABLE)
            if certs:
                result["tls_echo"] = await tls_round_trip(reactor, Path(certs))
        finally:
            reactor.stop()

    def start() -> None:
        root.startService()
        Deferred.fromCoroutine(run()).addErrback(lambda failure: result.setdefault("error", failure.getTraceback()))

    def give_up() -> None:
        result["error"] = f"no answer within {GIVE_UP_SECONDS} s"
        reactor.stop()

    reactor.callWhenRunning(start)
    reactor.callLater(GIVE_UP_SECONDS, give_up)
    reactor.run()
    print(json.dumps(result), flush=True)
    # A failed start can leave worker threads (the database writer) running:
    # end here rather than wait for them.
    os._exit(0)


async def tls_round_trip(reactor: Any, certs: Path) -> str:
    """Listen with ``listenSSL``, connect with ``wrapClientTLS`` trusting the
    certificate, send a line and return what the server echoed."""
    from twisted.internet.defer import Deferred
    from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol, wrapClientTLS
    from twisted.internet.protocol import Factory, Protocol
    from twisted.internet.ssl import Certificate, PrivateCertificate, optionsForClientTLS

    certificate_pem = (certs / "moonraker.cert").read_bytes()
    server_identity = PrivateCertificate.loadPEM(certificate_pem + (certs / "moonraker.key").read_bytes())

    class Echo(Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    class Client(Protocol):
        def __init__(self) -> None:
            self.received: Deferred[bytes] = Deferred()

        def connectionMade(self) -> None:
            self.transport.write(b"ping over TLS")

        def dataReceived(self, data: bytes) -> None:
            self.received.callback(data)
            self.transport.loseConnection()

    port = reactor.listenSSL(0, Factory.forProtocol(Echo), server_identity.options(), interface="127.0.0.1")
    try:
        trust = optionsForClientTLS("localhost", trustRoot=Certificate.loadPEM(certificate_pem))
        endpoint = wrapClientTLS(trust, TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port))
        client = await connectProtocol(endpoint, Client())
        return (await client.received).decode()
    finally:
        await port.stopListening()


if __name__ == "__main__":
    main(sys.argv[1:])
