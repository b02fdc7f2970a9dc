from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.authorization.passwords import ScryptCost, hash_password, is_legacy, verify_password
from tests.services.authorization.helpers import CHEAP

# A record as Moonraker stores it: PBKDF2-HMAC-SHA256, 100 000 iterations, hex salt and key.
MOONRAKER_SALT = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
MOONRAKER_HASH = "4e0025cf2b39648177d97fadb9a74fd11f30b2c41adce4042373b713d4203dde"


class PasswordTests(SynchronousTestCase):
    def test_scrypt_hash_verifies_only_the_same_password(self) -> None:
        salt, stored = hash_password("correct horse", CHEAP)
        self.assertTrue(verify_password("correct horse", salt, stored))
        self.assertFalse(verify_password("correct hors", salt, stored))

    def test_hash_records_its_cost_and_a_fresh_salt(self) -> None:
        first_salt, first = hash_password("same", CHEAP)
        second_salt, second = hash_password("same", CHEAP)
        self.assertTrue(first.startswith("scrypt:4:8:1:"))
        self.assertEqual(len(first_salt), 64)
        self.assertNotEqual((first_salt, first), (second_salt, second))

    def test_default_cost_is_owasp_scrypt(self) -> None:
        self.assertEqual(ScryptCost(), ScryptCost(log_n=15, r=8, p=3))

    def test_moonraker_pbkdf2_hash_verifies(self) -> None:
        self.assertTrue(verify_password("moonraker-pass", MOONRAKER_SALT, MOONRAKER_HASH))
        self.assertFalse(verify_password("moonraker-pas", MOONRAKER_SALT, MOONRAKER_HASH))
        self.assertTrue(is_legacy(MOONRAKER_HASH))
        self.assertFalse(is_legacy(hash_password("x", CHEAP)[1]))

    def test_malformed_stored_values_never_verify(self) -> None:
        for salt, stored in [("zz", MOONRAKER_HASH), (MOONRAKER_SALT, "not hex"),
                             (MOONRAKER_SALT, "scrypt:4:8"), (MOONRAKER_SALT, "")]:
            self.assertFalse(verify_password("moonraker-pass", salt, stored))
