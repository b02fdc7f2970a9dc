"""The authorization service driven through the registry, on a Clock."""

from __future__ import annotations

from typing import Any

from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request, Transport
from moontwist.services.authorization import Credentials
from moontwist.services.authorization.users import API_KEY_USER
from tests.services.authorization.helpers import FakeConnection, call, error_of, make_auth, result_of
from tests.services.authorization.test_passwords import MOONRAKER_HASH, MOONRAKER_SALT

TRUSTED = "trusted_clients:\n    192.168.1.0/24\n"
TRUSTED_IP = "192.168.1.50"
UNTRUSTED_IP = "203.0.113.7"


class AuthTestCase(SynchronousTestCase):
    options = TRUSTED

    def setUp(self) -> None:
        self.auth, self.ctx, self.clock = make_auth(self, self.options)
        self.logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.logged.append)

    def create_user(self, username: str = "alice", password: str = "s3cret") -> dict[str, Any]:
        return result_of(self, call(self.ctx, "access.post_user", user=self.auth.trusted_user(),
                                    username=username, password=password))

    def login(self, username: str = "alice", password: str = "s3cret", ip: str = UNTRUSTED_IP,
              connection: Any = None) -> Any:
        return call(self.ctx, "access.login", ip=ip, connection=connection, username=username, password=password)

    def authenticate(self, required: bool = True, **credentials: Any) -> Any:
        credentials.setdefault("ip", UNTRUSTED_IP)
        return self.auth.authenticate(Credentials(**credentials), required)

    def user_of(self, **credentials: Any) -> Any:
        return result_of(self, self.authenticate(**credentials))

    def refusal(self, **credentials: Any) -> tuple[int, str]:
        error = error_of(self, self.authenticate(**credentials))
        return error.status, error.message


class AuthenticationOrderTests(AuthTestCase):
    def test_untrusted_address_without_credentials_is_refused(self) -> None:
        self.assertEqual(self.refusal(), (401, "Unauthorized"))
        self.assertIsNone(result_of(self, self.authenticate(required=False)))

    def test_trusted_address_is_the_trusted_user(self) -> None:
        self.assertEqual(self.user_of(ip=TRUSTED_IP)["username"], "_TRUSTED_USER_")

    def test_trusted_address_with_dummy_api_key_or_bad_tokens_stays_trusted(self) -> None:
        for credentials in [{"api_key": "88888888"}, {"oneshot_token": "BOGUS"}, {"access_token": "junk"}]:
            self.assertEqual(self.user_of(ip=TRUSTED_IP, **credentials)["username"], "_TRUSTED_USER_")

    def test_untrusted_address_gets_the_failure_of_its_credential(self) -> None:
        self.assertEqual(self.refusal(access_token="junk"), (401, "JWT Decode Error: Invalid JWT header"))
        self.assertEqual(self.refusal(api_key="88888888"), (401, "Invalid API Key"))
        self.assertEqual(self.refusal(oneshot_token="BOGUS"), (401, "Invalid oneshot token"))

    def test_api_key_is_the_api_key_user(self) -> None:
        self.assertEqual(self.user_of(api_key=self.auth.store.api_key)["username"], API_KEY_USER)

    def test_access_token_is_its_user(self) -> None:
        token = self.create_user()["token"]
        self.assertEqual(self.user_of(access_token=token)["username"], "alice")

    def test_failures_are_logged_without_the_secret(self) -> None:
        self.refusal(api_key="88888888-secret-guess")
        self.refusal(access_token="junk-token-text")
        text = repr(self.logged)
        self.assertIn("wrong API key", text)
        self.assertNotIn("secret-guess", text)
        self.assertNotIn("junk-token-text", text)


    def test_failed_logins_and_password_changes_are_logged_without_the_password(self) -> None:
        created = self.create_user(password="the-real-pass")
        alice = self.user_of(access_token=created["token"])
        error_of(self, self.login(password="guessed-pass-1"))
        error_of(self, self.login(username="mallory", password="guessed-pass-2"))
        error_of(self, call(self.ctx, "access.user.password", user=alice, password="guessed-pass-3",
                            new_password="wanted-pass"))
        error_of(self, call(self.ctx, "access.refresh_jwt", refresh_token=created["token"]))
        failures = [e for e in self.logged if e.get("log_format", "").startswith("Authentication failed")]
        self.assertEqual([e["reason"] for e in failures],
                         ["wrong password for user 'alice'", "unknown user",
                          "wrong current password for user 'alice'", "refresh: Invalid token type"])
        text = repr(self.logged)
        for secret in ("the-real-pass", "guessed-pass", "wanted-pass", created["token"], created["refresh_token"]):
            self.assertNotIn(secret, text)


class ForceLoginsTests(AuthTestCase):
    options = TRUSTED + "force_logins: True\n"

    def test_trust_is_enough_until_a_user_exists(self) -> None:
        self.assertEqual(self.user_of(ip=TRUSTED_IP)["username"], "_TRUSTED_USER_")
        token = self.create_user()["token"]
        self.assertEqual(self.refusal(ip=TRUSTED_IP), (401, "Unauthorized, Force Logins Enabled"))
        self.assertIsNone(result_of(self, self.authenticate(required=False, ip=TRUSTED_IP)))
        self.assertEqual(self.user_of(ip=TRUSTED_IP, access_token=token)["username"], "alice")
        info = result_of(self, call(self.ctx, "access.info", ip=TRUSTED_IP))
        self.assertEqual(info, {"default_source": "moonraker", "available_sources": ["moonraker"],
                                "login_required": True, "trusted": True})


class LoginTests(AuthTestCase):
    def test_login_returns_moonraker_shape(self) -> None:
        self.create_user()
        result = result_of(self, self.login())
        self.assertEqual(set(result), {"username", "token", "refresh_token", "source", "action"})
        self.assertEqual((result["username"], result["source"], result["action"]),
                         ("alice", "moonraker", "user_logged_in"))

    def test_wrong_password_and_unknown_user_look_the_same(self) -> None:
        self.create_user()
        wrong = error_of(self, self.login(password="nope"))
        unknown = error_of(self, self.login(username="mallory"))
        self.assertEqual((wrong.status, wrong.message), (400, "Invalid username or password"))
        self.assertEqual((unknown.status, unknown.message), (400, "Invalid username or password"))

    def test_brute_force_hits_the_rate_limit(self) -> None:
        self.create_user()
        for _ in range(10):
            error_of(self, self.login(password="guess"))
        error = error_of(self, self.login())
        self.assertEqual((error.status, error.message), (401, "Unauthorized, Maximum Login Attempts Reached"))
        self.assertEqual(result_of(self, self.login(ip="203.0.113.8"))["username"], "alice")
        self.clock.advance(15 * 60)
        self.assertEqual(result_of(self, self.login())["username"], "alice")

    def test_login_on_a_websocket_makes_it_that_user(self) -> None:
        self.create_user()
        connection = FakeConnection()
        result_of(self, self.login(connection=connection))
        self.assertEqual(connection.user["username"], "alice")

    def test_moonraker_hash_logs_in_and_is_rehashed(self) -> None:
        records = {"bob": {"username": "bob", "password": MOONRAKER_HASH, "salt": MOONRAKER_SALT,
                           "created_on": 1.0, "source": "moonraker", "jwt_secret": None, "jwk_id": None,
                           "groups": ["admin"]},
                   API_KEY_USER: {"api_key": "a" * 32, "created_on": 2.0}}
        auth, ctx, _ = make_auth(self, TRUSTED, records)
        self.assertEqual(auth.store.api_key, "a" * 32)
        result_of(self, call(ctx, "access.login", ip=UNTRUSTED_IP, username="bob", password="moonraker-pass"))
        self.assertTrue(records["bob"]["password"].startswith("scrypt:"))
        result_of(self, call(ctx, "access.login", ip=UNTRUSTED_IP, username="bob", password="moonraker-pass"))


class TokenLifecycleTests(AuthTestCase):
    def test_expired_access_token_is_refused(self) -> None:
        token = self.create_user()["token"]
        self.clock.advance(3600)
        self.assertEqual(self.refusal(access_token=token), (401, "JWT Decode Error: JWT Expired"))

    def test_refresh_token_is_not_an_access_token_but_refreshes(self) -> None:
        created = self.create_user()
        self.assertEqual(self.refusal(access_token=created["refresh_token"]),
                         (401, "JWT Decode Error: Invalid token type"))
        self.clock.advance(7200)
        refreshed = result_of(self, call(self.ctx, "access.refresh_jwt", ip=UNTRUSTED_IP,
                                         refresh_token=created["refresh_token"]))
        self.assertEqual((refreshed["username"], refreshed["action"]), ("alice", "user_jwt_refresh"))
        self.assertEqual(self.user_of(access_token=refreshed["token"])["username"], "alice")
        error = error_of(self, call(self.ctx, "access.refresh_jwt", ip=UNTRUSTED_IP,
                                    refresh_token=created["token"]))
        self.assertEqual((error.status, error.message), (401, "Invalid Refresh Token"))

    def test_refresh_token_lives_login_timeout_days(self) -> None:
        created = self.create_user()
        self.clock.advance(90 * 86400)
        error = error_of(self, call(self.ctx, "access.refresh_jwt", refresh_token=created["refresh_token"]))
        self.assertEqual(error.status, 401)

    def test_logout_revokes_every_token_and_websocket(self) -> None:
        created = self.create_user()
        connection = FakeConnection(user={"username": "alice"})
        self.ctx.connections.add(connection)  # type: ignore[arg-type]
        alice = self.user_of(access_token=created["token"])
        result = result_of(self, call(self.ctx, "access.logout", user=alice))
        self.assertEqual(result, {"username": "alice", "action": "user_logged_out"})
        self.assertEqual(self.refusal(access_token=created["token"]), (401, "JWT Decode Error: Invalid key ID"))
        error = error_of(self, call(self.ctx, "access.refresh_jwt", refresh_token=created["refresh_token"]))
        self.assertEqual(error.message, "Invalid Refresh Token")
        self.assertIsNone(connection.user)

    def test_logout_of_the_trusted_user_is_refused(self) -> None:
        error = error_of(self, call(self.ctx, "access.logout", user=self.auth.trusted_user()))
        self.assertEqual(error.message, "Invalid log out request for user _TRUSTED_USER_")

    def test_password_change_revokes_tokens_and_wrong_current_password_counts(self) -> None:
        created = self.create_user()
        alice = self.user_of(access_token=created["token"])
        error = error_of(self, call(self.ctx, "access.user.password", user=alice, password="bad",
                                    new_password="n3w"))
        self.assertEqual((error.status, error.message), (400, "Invalid Password"))
        result = result_of(self, call(self.ctx, "access.user.password", user=alice, password="s3cret",
                                      new_password="n3w"))
        self.assertEqual(result, {"username": "alice", "action": "user_password_reset"})
        self.assertEqual(self.refusal(access_token=created["token"])[0], 401)
        error_of(self, self.login())
        result_of(self, self.login(password="n3w"))

    def test_oneshot_token_works_once_from_its_address_within_five_seconds(self) -> None:
        created = self.create_user()
        alice = self.user_of(access_token=created["token"])
        token = result_of(self, call(self.ctx, "access.oneshot_token", user=alice, ip=UNTRUSTED_IP))
        self.assertEqual(self.user_of(oneshot_token=token)["username"], "alice")
        self.assertEqual(self.refusal(oneshot_token=token), (401, "Invalid oneshot token"))
        late = result_of(self, call(self.ctx, "access.oneshot_token", user=alice, ip=UNTRUSTED_IP))
        self.clock.advance(5)
        self.assertEqual(self.refusal(oneshot_token=late), (401, "Invalid oneshot token"))

    def test_old_api_key_is_refused_after_rotation(self) -> None:
        old = self.auth.store.api_key
        trusted = self.auth.trusted_user()
        self.assertEqual(result_of(self, call(self.ctx, "access.get_api_key", user=trusted)), old)
        new = result_of(self, call(self.ctx, "access.post_api_key", user=trusted))
        self.assertNotEqual(new, old)
        self.assertEqual(self.refusal(api_key=old), (401, "Invalid API Key"))
        self.assertEqual(self.user_of(api_key=new)["username"], API_KEY_USER)


class ResultShapeTests(AuthTestCase):
    """Every ``access.*`` result has the shape web_api.md documents."""

    def test_every_access_method_answers_in_the_web_api_shape(self) -> None:
        trusted = self.auth.trusted_user()
        tokens = {"username", "token", "refresh_token", "source", "action"}
        created = self.create_user()
        self.assertEqual((set(created), created["action"], created["source"]), (tokens, "user_created", "moonraker"))
        logged_in = result_of(self, self.login())
        self.assertEqual((set(logged_in), logged_in["action"]), (tokens, "user_logged_in"))
        alice = self.user_of(access_token=logged_in["token"])
        user = result_of(self, call(self.ctx, "access.get_user", user=alice))
        self.assertEqual((set(user), user["username"], type(user["created_on"])),
                         ({"username", "source", "created_on"}, "alice", float))
        listed = result_of(self, call(self.ctx, "access.users.list", user=trusted))
        self.assertEqual(listed, {"users": [user]})
        refreshed = result_of(self, call(self.ctx, "access.refresh_jwt", refresh_token=logged_in["refresh_token"]))
        self.assertEqual((set(refreshed), refreshed["action"]), ({"username", "token", "source", "action"},
                                                                 "user_jwt_refresh"))
        oneshot = result_of(self, call(self.ctx, "access.oneshot_token", user=alice))
        self.assertRegex(oneshot, r"^[A-Z2-7]{32}$")
        info = result_of(self, call(self.ctx, "access.info"))
        self.assertEqual(set(info), {"default_source", "available_sources", "login_required", "trusted"})
        for method in ("access.get_api_key", "access.post_api_key"):
            self.assertRegex(result_of(self, call(self.ctx, method, user=trusted)), r"^[0-9a-f]{32}$")
        self.assertEqual(result_of(self, call(self.ctx, "access.user.password", user=alice, password="s3cret",
                                              new_password="n3w")),
                         {"username": "alice", "action": "user_password_reset"})
        bob = self.user_of(access_token=self.create_user("bob")["token"])
        self.assertEqual(result_of(self, call(self.ctx, "access.logout", user=bob)),
                         {"username": "bob", "action": "user_logged_out"})
        self.assertEqual(result_of(self, call(self.ctx, "access.delete_user", user=trusted, username="bob")),
                         {"username": "bob", "action": "user_deleted"})


class ApiKeyDisabledTests(AuthTestCase):
    options = TRUSTED + "enable_api_key: False\n"

    def test_api_key_is_ignored(self) -> None:
        self.assertEqual(self.refusal(api_key=self.auth.store.api_key), (401, "Unauthorized"))


class UserManagementTests(AuthTestCase):
    def test_create_list_get_and_delete(self) -> None:
        created = self.create_user()
        self.assertEqual(created["action"], "user_created")
        self.create_user("bob")
        listed = result_of(self, call(self.ctx, "access.users.list", user=self.auth.trusted_user()))
        self.assertEqual([u["username"] for u in listed["users"]], ["alice", "bob"])
        self.assertEqual(set(listed["users"][0]), {"username", "source", "created_on"})
        alice = self.user_of(access_token=created["token"])
        got = result_of(self, call(self.ctx, "access.get_user", user=alice))
        self.assertEqual((got["username"], got["source"]), ("alice", "moonraker"))
        deleted = result_of(self, call(self.ctx, "access.delete_user", user=alice, username="bob"))
        self.assertEqual(deleted, {"username": "bob", "action": "user_deleted"})

    def test_deleting_oneself_is_refused(self) -> None:
        alice = self.user_of(access_token=self.create_user()["token"])
        error = error_of(self, call(self.ctx, "access.delete_user", user=alice, username="alice"))
        self.assertEqual((error.status, error.message), (403, "Cannot delete logged in user alice"))

    def test_token_of_a_deleted_user_is_refused(self) -> None:
        token = self.create_user()["token"]
        result_of(self, call(self.ctx, "access.delete_user", user=self.auth.trusted_user(), username="alice"))
        self.assertEqual(self.refusal(access_token=token), (401, "JWT Decode Error: Invalid key ID"))

    def test_reserved_and_duplicate_names_are_refused(self) -> None:
        self.create_user()
        trusted = self.auth.trusted_user()
        for name, message in [("alice", "User alice already exists"),
                              ("_API_KEY_USER_", "Invalid username '_API_KEY_USER_'")]:
            error = error_of(self, call(self.ctx, "access.post_user", user=trusted, username=name, password="x"))
            self.assertEqual(error.message, message)

    def test_user_changes_are_notified_to_authenticated_websockets_only(self) -> None:
        anonymous, known = FakeConnection(1), FakeConnection(2, {"username": "_TRUSTED_USER_"})
        for connection in (anonymous, known):
            self.ctx.connections.add(connection)  # type: ignore[arg-type]
        self.create_user()
        self.assertEqual(anonymous.sent, [])
        self.assertIn(b'"notify_user_created","params":[{"username":"alice"}]', known.sent[0][1])

    def test_users_are_stored_in_a_forbidden_namespace(self) -> None:
        self.create_user()
        database = self.ctx.components["database"]
        self.assertIn("authorized_users", database.forbidden)  # type: ignore[attr-defined]
        record = database.namespaces["authorized_users"]["alice"]  # type: ignore[attr-defined]
        self.assertTrue(record["password"].startswith("scrypt:"))
        self.assertNotIn("s3cret", repr(record))


class WebsocketAuthenticationTests(AuthTestCase):
    def identify(self, connection: FakeConnection, **args: Any) -> Any:
        args = {"client_name": "t", "version": "1", "type": "web", "url": "x", **args}
        return self.auth.identify_connection(connection, Request("server.connection.identify", args,
                                                                 Transport.WEBSOCKET, connection, UNTRUSTED_IP))

    def test_identify_with_access_token_or_api_key_authenticates(self) -> None:
        token = self.create_user()["token"]
        connection = FakeConnection()
        self.identify(connection, access_token=token)
        self.assertEqual(connection.user["username"], "alice")
        other = FakeConnection(2)
        self.identify(other, api_key=self.auth.store.api_key)
        self.assertEqual(other.user["username"], API_KEY_USER)

    def test_identify_with_a_bad_token_fails_only_when_not_yet_authenticated(self) -> None:
        connection = FakeConnection()
        error = self.assertRaises(Exception, self.identify, connection, access_token="junk")
        self.assertEqual((error.status, error.message), (401, "Failed to decode JWT: Invalid JWT header"))
        trusted = FakeConnection(2, self.auth.trusted_user())
        self.identify(trusted, api_key="88888888")
        self.assertEqual(trusted.user["username"], "_TRUSTED_USER_")

    def test_methods_need_a_user_on_websockets_but_not_on_the_unix_socket(self) -> None:
        error = error_of(self, call(self.ctx, "access.users.list"))
        self.assertEqual((error.status, error.jsonrpc_code, error.message), (401, -32602, "Unauthorized"))
        result_of(self, call(self.ctx, "access.users.list", transport=Transport.UNIX))
        result_of(self, call(self.ctx, "access.info"))
