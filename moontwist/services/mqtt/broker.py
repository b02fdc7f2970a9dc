"""Where the broker is: a TCP endpoint, wrapped in TLS (pyOpenSSL, service_identity) when asked."""

from __future__ import annotations

from typing import Any

from OpenSSL import crypto
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.ssl import Certificate, PrivateCertificate, optionsForClientTLS, platformTrust, trustRootFromCertificates

from moontwist.config import ConfigError
from moontwist.services.mqtt.settings import MQTTSettings

CONNECT_TIMEOUT = 10


def broker_endpoint(reactor: Any, settings: MQTTSettings) -> IStreamClientEndpoint:
    tcp = HostnameEndpoint(reactor, settings.address, settings.port, timeout=CONNECT_TIMEOUT)
    if not settings.enable_tls:
        return tcp
    return wrapClientTLS(client_tls_options(settings), tcp)


def client_tls_options(settings: MQTTSettings) -> Any:
    """TLS 1.2+ with the broker's certificate checked against ``address`` by service_identity."""
    trust: Any = platformTrust()
    if settings.tls_ca_file is not None:
        blocks = _pem_blocks(_read(settings.tls_ca_file), "tls_ca_file")
        try:
            trust = trustRootFromCertificates([Certificate.loadPEM(block) for block in blocks])
        except crypto.Error:
            raise ConfigError(f"[mqtt] tls_ca_file '{settings.tls_ca_file}' holds no valid certificate") from None
    client = None
    if settings.tls_client_cert is not None:
        pem = _read(settings.tls_client_cert)
        if settings.tls_client_key is not None:
            pem += b"\n" + _read(settings.tls_client_key)
        try:
            client = PrivateCertificate.loadPEM(pem)
        except (crypto.Error, ValueError) as error:
            raise ConfigError(f"[mqtt] client certificate or key cannot be used: {error}") from None
    return optionsForClientTLS(settings.address, trustRoot=trust, clientCertificate=client)


def _read(path: Any) -> bytes:
    try:
        return bytes(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"[mqtt] cannot read '{path}': {error.strerror}") from None


def _pem_blocks(pem: bytes, option: str) -> list[bytes]:
    marker = b"-----BEGIN CERTIFICATE-----"
    blocks = [marker + part for part in pem.split(marker)[1:]]
    if not blocks:
        raise ConfigError(f"[mqtt] {option} holds no PEM certificate")
    return blocks
