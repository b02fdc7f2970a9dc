"""Makes ``twistd moontwist`` available once moontwist is installed."""

import gc

from zope.interface import implementer

from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin


@implementer(IServiceMaker, IPlugin)
class MoontwistServiceMaker:
    tapname = "moontwist"
    description = "Moonraker-compatible API server for Klipper"

    @property
    def options(self):  # type: ignore[no-untyped-def]
        from moontwist.cli import MoontwistOptions

        return MoontwistOptions

    def makeService(self, options):  # type: ignore[no-untyped-def]
        # Start-up runs without the garbage collector (services/collector.py
        # collects and freezes once the daemon is up).
        gc.disable()
        # Before anything imports the reactor: TLS is imported when first used
        # (moontwist/deferred_tls.py).
        from moontwist.deferred_tls import import_without_tls

        import_without_tls()
        from moontwist.app import makeService

        return makeService(options)


serviceMaker = MoontwistServiceMaker()
