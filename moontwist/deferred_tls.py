"""Twisted's reactor and Autobahn without pyOpenSSL until TLS is used.

Twisted's reactor (``tcp``, ``posixbase``), ``twisted.internet.endpoints`` (which
Autobahn and Klein import) and Autobahn's ``util`` try to import pyOpenSSL when
they are imported, and fall back to "no TLS" when it is missing; Autobahn's
package also imports its WAMP code, which imports cryptography. Together that
is 12 MiB of resident memory and ~80 ms of CPU at start-up, whether TLS is
configured or not.

``import_without_tls`` (called by ``twistd moontwist`` before anything else is
imported) imports those modules while pyOpenSSL, cryptography and
service_identity cannot be imported, then makes TLS available again on first
use:

- the reactor's ``listenSSL``/``connectSSL`` (``SSL4*Endpoint``) find the
  TLS modules through stand-ins that import them on first use;
- the TLS-less copy of ``twisted.internet.endpoints`` is kept here for code
  that needs no TLS from it (``endpoints()``: Klippy's Unix socket) and removed
  from ``sys.modules``, so whoever imports it later (treq, the MQTT client, the
  HTTPS listener) gets a full one, and pyOpenSSL with it;
- ``autobahn.twisted``'s package is created without running its
  ``__init__`` (WAMP, which we never use); its submodules import as usual.

What stays without TLS: ``startTLS`` on plain TCP connections (TLS here always
wraps a connection from its start, as ``listenSSL`` does) and the TLS details
Autobahn records for WAMP. In a process where the reactor was already imported
(the test suite), nothing changes.

click is refused in the same window: Autobahn's ``util`` imports it, when it is
installed (apprise requires it), only to colour its debug log lines (1 MiB
resident, ~5 ms); Autobahn then writes them plain. click itself stays
importable for whoever uses it later. And werkzeug's package (Klein's routing)
is created without running its ``__init__``, which only re-exports
``run_simple``, ``Client``, ``Request`` and ``Response`` and so imports its
development server and test client (``http.server``, ``socketserver``: 0.9
MiB); the first of its own names looked up runs it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

TLS_PACKAGES = frozenset({"OpenSSL", "cryptography", "service_identity"})
# Refused while Autobahn is imported, for good: it only colours log lines.
LOG_COLOUR_PACKAGES = frozenset({"click"})
ENDPOINTS = "twisted.internet.endpoints"

_tls_less_endpoints: ModuleType | None = None


class _RefuseTLS:
    """A meta path finder under which the TLS packages (and click) cannot be imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        package = name.partition(".")[0]
        if package in TLS_PACKAGES:
            raise ImportError(f"{name} is imported when TLS is first used")
        if package in LOG_COLOUR_PACKAGES:
            raise ImportError(f"{name} is not imported at start-up (log colours only)")


class _OnFirstUse:
    """Stands for a module; imports it at the first attribute looked up."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


def import_without_tls() -> bool:
    """Import the reactor, endpoints, Autobahn's websocket and Klein without TLS;
    False (nothing done) when the reactor or pyOpenSSL is already imported."""
    global _tls_less_endpoints
    if "twisted.internet.reactor" in sys.modules or "OpenSSL" in sys.modules:
        return False
    _autobahn_twisted_without_wamp()
    _werkzeug_without_its_exports()
    refuse = _RefuseTLS()
    sys.meta_path.insert(0, refuse)
    try:
        import autobahn.twisted.resource  # noqa: F401
        import autobahn.twisted.websocket  # noqa: F401
        import klein  # noqa: F401
        import twisted.internet.endpoints
        import twisted.internet.reactor  # noqa: F401
        from twisted.internet import posixbase
    finally:
        sys.meta_path.remove(refuse)
    _tls_less_endpoints = sys.modules.pop(ENDPOINTS)
    del twisted.internet.endpoints
    if posixbase.tls is None and posixbase.ssl is None:
        from twisted.internet.interfaces import IReactorSSL
        from zope.interface import classImplements

        posixbase.tls = _OnFirstUse("twisted.protocols.tls")
        posixbase.ssl = _OnFirstUse("twisted.internet.ssl")
        classImplements(posixbase.PosixReactorBase, IReactorSSL)
    return True


def _autobahn_twisted_without_wamp() -> None:
    if "autobahn.twisted" in sys.modules:
        return
    import autobahn

    spec = importlib.util.find_spec("autobahn.twisted")
    assert spec is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["autobahn.twisted"] = package
    autobahn.twisted = package  # type: ignore[attr-defined]


def _werkzeug_without_its_exports() -> None:
    """werkzeug's package with its submodules importable as usual; its
    ``__init__`` runs when a name it defines is first looked up."""
    if "werkzeug" in sys.modules:
        return
    spec = importlib.util.find_spec("werkzeug")
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def first_use(name: str) -> Any:
        # Submodules (``from werkzeug import exceptions``) are the import system's.
        if name.startswith("__") or importlib.util.find_spec(f"werkzeug.{name}") is not None:
            raise AttributeError(name)
        del package.__getattr__
        loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = first_use  # type: ignore[attr-defined]
    sys.modules["werkzeug"] = package


def endpoints() -> ModuleType:
    """``twisted.internet.endpoints`` for code that needs no TLS from it
    (Unix sockets): the TLS-less copy when there is one, so that using it
    does not import pyOpenSSL."""
    return _tls_less_endpoints or importlib.import_module(ENDPOINTS)
