"""JSON Web Tokens signed with a per-user Ed25519 key, as Moonraker issues them.

Each user who has logged in holds a signing key (``jwt_secret``, the 32-byte
seed as hex) and its id (``jwk_id``, the token header's ``kid``). Forgetting
the key revokes every token of that user at once (logout, deletion, password
change). Moonraker uses the same scheme, so tokens issued before an import
stay valid while the issuer (``http://<hostname>:<port>``) is unchanged.

Decoding trusts nothing in the token before the signature is checked: the
algorithm is pinned to EdDSA (no ``none``, no HMAC keyed with a public key),
the ``kid`` only selects which key to try, and ``exp``/``iat`` are checked
against the injected clock.

pyjwt and cryptography are imported at the first token issued or checked, not
at start-up: they are ~10 MiB resident, which a printer whose clients are all
trusted by address never needs (tests/integration/test_footprint.py).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "EdDSA"
AUDIENCE = "Moonraker"
ACCESS = "access"
REFRESH = "refresh"
ACCESS_LIFETIME = 3600.0
# Tolerated clock difference for ``iat`` (tokens are issued by this very process).
IAT_LEEWAY = 60.0


class TokenError(Exception):
    """A token that is not accepted; the message says why (never the token)."""


@dataclass(frozen=True)
class SigningKey:
    """One user's key: the id put in token headers and the Ed25519 seed."""

    key_id: str
    seed_hex: str

    @classmethod
    def generate(cls) -> "SigningKey":
        key_id = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        return cls(key_id, os.urandom(32).hex())

    def private_key(self) -> Ed25519PrivateKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(self.seed_hex))


def issue(key: SigningKey, username: str, token_type: str, now: float, lifetime: float, issuer: str) -> str:
    """A signed token for ``username`` valid from ``now`` for ``lifetime`` seconds."""
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "iat": int(now),
        "exp": int(now + lifetime),
        "username": username,
        "token_type": token_type,
    }
    import jwt

    return jwt.encode(claims, key.private_key(), algorithm=ALGORITHM, headers={"kid": key.key_id})


def decode(token: str, find_key: Callable[[str], SigningKey | None], token_type: str,
           now: float, issuer: str) -> str:
    """The username a valid token of ``token_type`` speaks for; TokenError otherwise."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("Invalid JWT header") from None
    if header.get("alg") != ALGORITHM or header.get("typ") != "JWT":
        raise TokenError("Invalid JWT header")
    key_id = header.get("kid")
    key = find_key(key_id) if isinstance(key_id, str) else None
    if key is None:
        raise TokenError("Invalid key ID")
    claims = _verified_claims(token, key, issuer)
    if claims.get("token_type") != token_type:
        raise TokenError("Invalid token type")
    _check_times(claims, now)
    username = claims.get("username")
    if not isinstance(username, str):
        raise TokenError("Invalid JWT username")
    return username


def _verified_claims(token: str, key: SigningKey, issuer: str) -> dict[str, Any]:
    import jwt

    try:
        return jwt.decode(
            token,
            key.private_key().public_key(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            # Times are checked against our clock below, not pyjwt's.
            options={"require": ["exp", "iat", "iss", "aud"], "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise TokenError("Invalid JWT signature") from None
    except jwt.InvalidIssuerError:
        raise TokenError("Invalid JWT Issuer") from None
    except jwt.InvalidAudienceError:
        raise TokenError("Invalid JWT Audience") from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenError(f"Missing JWT claim: {error.claim}") from None
    except jwt.PyJWTError:
        raise TokenError("Invalid JWT") from None


def _check_times(claims: dict[str, Any], now: float) -> None:
    expires, issued = claims.get("exp"), claims.get("iat")
    for value in (expires, issued):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TokenError("Invalid JWT times")
    if issued > now + IAT_LEEWAY:
        raise TokenError("JWT issued in the future")
    if expires <= now:
        raise TokenError("JWT Expired")
