import base64
import json

import jwt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.authorization import tokens
from moontwist.services.authorization.tokens import ACCESS, REFRESH, SigningKey, TokenError

ISSUER = "http://printer:7125"
NOW = 1_700_000_000.0


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TokenTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.key = SigningKey.generate()
        self.keys = {self.key.key_id: self.key}

    def decode(self, token: str, token_type: str = ACCESS, now: float = NOW, issuer: str = ISSUER) -> str:
        return tokens.decode(token, self.keys.get, token_type, now, issuer)

    def reason(self, token: str, **kwargs: object) -> str:
        return str(self.assertRaises(TokenError, self.decode, token, **kwargs))

    def issue(self, token_type: str = ACCESS, lifetime: float = 3600) -> str:
        return tokens.issue(self.key, "alice", token_type, NOW, lifetime, ISSUER)

    def test_access_token_round_trip_and_moonraker_claims(self) -> None:
        token = self.issue()
        self.assertEqual(self.decode(token), "alice")
        header = jwt.get_unverified_header(token)
        self.assertEqual((header["alg"], header["typ"], header["kid"]), ("EdDSA", "JWT", self.key.key_id))
        claims = jwt.decode(token, options={"verify_signature": False})
        self.assertEqual(claims, {"iss": ISSUER, "aud": "Moonraker", "iat": int(NOW), "exp": int(NOW) + 3600,
                                  "username": "alice", "token_type": "access"})

    def test_expired_token_is_refused(self) -> None:
        self.assertEqual(self.reason(self.issue(), now=NOW + 3600), "JWT Expired")

    def test_tampered_payload_is_refused(self) -> None:
        header, _, signature = self.issue().split(".")
        forged = b64({"iss": ISSUER, "aud": "Moonraker", "iat": int(NOW), "exp": int(NOW) + 10**6,
                      "username": "admin", "token_type": "access"})
        self.assertEqual(self.reason(f"{header}.{forged}.{signature}"), "Invalid JWT signature")

    def test_refresh_token_is_not_an_access_token(self) -> None:
        self.assertEqual(self.reason(self.issue(REFRESH)), "Invalid token type")
        self.assertEqual(self.decode(self.issue(REFRESH), REFRESH), "alice")

    def test_alg_none_is_refused(self) -> None:
        header = b64({"alg": "none", "typ": "JWT", "kid": self.key.key_id})
        payload = b64({"iss": ISSUER, "aud": "Moonraker", "iat": int(NOW), "exp": int(NOW) + 60,
                       "username": "alice", "token_type": "access"})
        self.assertEqual(self.reason(f"{header}.{payload}."), "Invalid JWT header")

    def test_hmac_keyed_with_the_public_key_is_refused(self) -> None:
        public = self.key.private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        claims = {"iss": ISSUER, "aud": "Moonraker", "iat": int(NOW), "exp": int(NOW) + 60,
                  "username": "alice", "token_type": "access"}
        forged = jwt.encode(claims, public, algorithm="HS256", headers={"kid": self.key.key_id})
        self.assertEqual(self.reason(forged), "Invalid JWT header")

    def test_forged_header_claiming_eddsa_over_an_hmac_signature_is_refused(self) -> None:
        public = self.key.private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        claims = {"iss": ISSUER, "aud": "Moonraker", "iat": int(NOW), "exp": int(NOW) + 60,
                  "username": "alice", "token_type": "access"}
        _, payload, signature = jwt.encode(claims, public, algorithm="HS256").split(".")
        header = b64({"alg": "EdDSA", "typ": "JWT", "kid": self.key.key_id})
        self.assertEqual(self.reason(f"{header}.{payload}.{signature}"), "Invalid JWT signature")

    def test_unknown_key_id_is_refused(self) -> None:
        other = SigningKey.generate()
        token = tokens.issue(other, "alice", ACCESS, NOW, 60, ISSUER)
        self.assertEqual(self.reason(token), "Invalid key ID")

    def test_other_issuer_is_refused(self) -> None:
        self.assertEqual(self.reason(self.issue(), issuer="http://elsewhere:7125"), "Invalid JWT Issuer")

    def test_token_issued_in_the_future_is_refused(self) -> None:
        self.assertEqual(self.reason(self.issue(), now=NOW - 3000), "JWT issued in the future")

    def test_garbage_is_refused(self) -> None:
        for garbage in ["", "abc", "a.b.c", "\u00e9.x.y"]:
            self.assertEqual(self.reason(garbage), "Invalid JWT header")

    def test_missing_expiry_is_refused(self) -> None:
        claims = {"iss": ISSUER, "aud": "Moonraker", "iat": int(NOW), "username": "alice", "token_type": "access"}
        token = jwt.encode(claims, self.key.private_key(), algorithm="EdDSA", headers={"kid": self.key.key_id})
        self.assertEqual(self.reason(token), "Missing JWT claim: exp")
