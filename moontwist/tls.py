"""Server TLS from a PEM certificate and key: TLS 1.2 or newer only."""

from __future__ import annotations

from pathlib import Path

from OpenSSL import crypto
from twisted.internet.ssl import CertificateOptions, TLSVersion


class TLSConfigError(Exception):
    """The certificate or key cannot be used; the message says which and why."""


def server_tls_options(certificate_path: Path, key_path: Path) -> CertificateOptions:
    try:
        certificate_pem = certificate_path.read_bytes()
        key_pem = key_path.read_bytes()
    except OSError as exc:
        raise TLSConfigError(f"Cannot read TLS file: {exc}") from None
    try:
        certificate = crypto.load_certificate(crypto.FILETYPE_PEM, certificate_pem)
    except crypto.Error:
        raise TLSConfigError(f"Invalid TLS certificate: '{certificate_path}' is not a PEM certificate") from None
    try:
        key = crypto.load_privatekey(crypto.FILETYPE_PEM, key_pem)
    except crypto.Error:
        raise TLSConfigError(f"Invalid TLS key: '{key_path}' is not a PEM private key") from None
    extra = _chain(certificate_pem)
    options = CertificateOptions(
        privateKey=key,
        certificate=certificate,
        extraCertChain=extra or None,
        raiseMinimumTo=TLSVersion.TLSv1_2,
    )
    try:
        options.getContext()
    except Exception as exc:
        raise TLSConfigError(f"TLS certificate and key do not match: {exc}") from None
    return options


def _chain(pem: bytes) -> list[crypto.X509]:
    """Intermediate certificates after the first (a Let's Encrypt fullchain.pem)."""
    marker = b"-----BEGIN CERTIFICATE-----"
    blocks = [marker + part for part in pem.split(marker)[1:]]
    return [crypto.load_certificate(crypto.FILETYPE_PEM, block) for block in blocks[1:]]
