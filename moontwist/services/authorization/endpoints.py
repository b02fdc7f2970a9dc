"""The ``access.*`` API: login and logout, users, tokens, the API key.

Shapes and paths are Moonraker's. Password checks run in a thread (scrypt
takes a good fraction of a second by design) and count towards the login
rate limit when they fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.services.authorization import passwords, tokens
from moontwist.services.authorization.users import RESERVED_USERS, SOURCES, TRUSTED_USER, public_view, signing_key

if TYPE_CHECKING:
    from moontwist.services.authorization.service import AuthorizationService

log = Logger()

BAD_LOGIN = "Invalid username or password"


class AccessEndpoints:
    """Handlers of ``access.*``, over the service's state."""

    def __init__(self, auth: "AuthorizationService") -> None:
        self.auth = auth

    # -- login, logout, tokens ----------------------------------------------------

    @endpoint("access.login", "POST /access/login", auth_required=False)
    async def login(self, request: Request) -> dict[str, Any]:
        auth, ip = self.auth, request.ip
        try:
            auth.limiter.check(ip)
        except ApiError as error:
            raise auth.refused(ip, "login while locked out", error.message) from None
        username = request.get_str("username")
        password = request.get_str("password")
        source = request.get_str("source", auth.default_source)
        if source not in SOURCES:
            raise ApiError(f"Authentication source '{source}' is not available")
        record = auth.store.get(username)
        if record is not None and record.get("source", "moonraker") != source:
            auth.limiter.failed(ip)
            raise auth.refused(ip, f"login for '{username}' with the wrong source",
                               f"Moonraker cannot authenticate user '{username}', must specify source "
                               f"'{record.get('source')}'")
        matched = await self._password_matches(record, password)
        current = auth.store.get(username)
        if not matched or record is None or current is None or current.get("password") != record["password"]:
            auth.limiter.failed(ip)
            reason = f"wrong password for user '{username}'" if record is not None else "unknown user"
            raise auth.refused(ip, reason, BAD_LOGIN, 400)
        auth.limiter.succeeded(ip)
        record = current
        if passwords.is_legacy(record.get("password", "")):
            record = dict(record, **await self._hashed(password))
        result = await self._issue_tokens(record, "user_logged_in")
        if request.connection is not None:
            request.connection.user = public_view(record)  # type: ignore[attr-defined]
        log.info("User {username} logged in from {ip}", username=username, ip=ip)
        return result

    @endpoint("access.logout", "POST /access/logout")
    async def logout(self, request: Request) -> dict[str, Any]:
        username = self._real_user(request, "Invalid log out request for user")
        record = self.auth.store.get(username)
        assert record is not None
        await self.auth.store.save(dict(record, jwt_secret=None, jwk_id=None))
        self.auth.revert_connections(username)
        self.auth.ctx.notify("notify_user_logged_out", [{"username": username}])
        return {"username": username, "action": "user_logged_out"}

    @endpoint("access.refresh_jwt", "POST /access/refresh_jwt", auth_required=False)
    def refresh_jwt(self, request: Request) -> dict[str, Any]:
        refresh_token = request.get_str("refresh_token")
        try:
            user = self.auth.user_from_token(refresh_token, tokens.REFRESH)
        except tokens.TokenError as error:
            raise self.auth.refused(request.ip, f"refresh: {error}", "Invalid Refresh Token") from None
        record = self.auth.store.get(user["username"])
        key = signing_key(record) if record is not None else None
        assert key is not None, "user_from_token returns only users holding a key"
        token = tokens.issue(key, user["username"], tokens.ACCESS, self.auth.clock.seconds(),
                             tokens.ACCESS_LIFETIME, self.auth.issuer)
        return {"username": user["username"], "token": token, "source": user["source"],
                "action": "user_jwt_refresh"}

    @endpoint("access.oneshot_token", "GET /access/oneshot_token")
    def oneshot_token(self, request: Request) -> str:
        return self.auth.oneshot.issue(request.user or self.auth.trusted_user(), request.ip)

    @endpoint("access.info", "GET /access/info", auth_required=False)
    async def info(self, request: Request) -> dict[str, Any]:
        user = request.user
        trusted: bool | None = None
        if user is not None and user.get("username") == TRUSTED_USER:
            trusted = True
        elif request.ip is not None:
            trusted = await self.auth.trusted.is_trusted(request.ip)
        return {"default_source": self.auth.default_source, "available_sources": list(SOURCES),
                "login_required": self.auth.login_required(), "trusted": trusted}

    # -- users ------------------------------------------------------------------------

    @endpoint("access.get_user", "GET /access/user")
    def get_user(self, request: Request) -> dict[str, Any]:
        user = request.user
        if user is None:
            return {"username": None, "source": None, "created_on": None}
        return {"username": user["username"], "source": user.get("source"), "created_on": user.get("created_on")}

    @endpoint("access.post_user", "POST /access/user")
    async def post_user(self, request: Request) -> dict[str, Any]:
        username = request.get_str("username")
        password = request.get_str("password")
        source = request.get_str("source", self.auth.default_source)
        if source not in SOURCES:
            raise ApiError(f"Authentication source '{source}' is not available")
        if not username or username in RESERVED_USERS or username != username.strip():
            raise ApiError(f"Invalid username '{username}'")
        if not password:
            raise ApiError("Password may not be empty")
        if username in self.auth.store:
            raise ApiError(f"User {username} already exists")
        hashed = await self._hashed(password)
        if username in self.auth.store:
            raise ApiError(f"User {username} already exists")
        record = {"username": username, "source": source, "created_on": self.auth.clock.seconds(),
                  "groups": ["admin"], "jwt_secret": None, "jwk_id": None, **hashed}
        result = await self._issue_tokens(record, "user_created")
        log.info("User {username} created", username=username)
        self.auth.ctx.notify("notify_user_created", [{"username": username}])
        return result

    @endpoint("access.delete_user", "DELETE /access/user")
    async def delete_user(self, request: Request) -> dict[str, Any]:
        username = request.get_str("username")
        if username in RESERVED_USERS:
            raise ApiError(f"Invalid Request for reserved user {username}")
        if username not in self.auth.store:
            raise ApiError(f"No registered user: {username}", 404)
        if request.user is not None and request.user.get("username") == username:
            raise self.auth.refused(request.ip, f"user '{username}' tried to delete itself",
                                    f"Cannot delete logged in user {username}", 403)
        await self.auth.store.delete(username)
        self.auth.revert_connections(username)
        log.info("User {username} deleted", username=username)
        self.auth.ctx.notify("notify_user_deleted", [{"username": username}])
        return {"username": username, "action": "user_deleted"}

    @endpoint("access.users.list", "GET /access/users/list")
    def list_users(self, request: Request) -> dict[str, Any]:
        store = self.auth.store
        return {"users": [public_view(store.get(name) or {}) for name in store.names()]}

    @endpoint("access.user.password", "POST /access/user/password")
    async def change_password(self, request: Request) -> dict[str, Any]:
        auth, ip = self.auth, request.ip
        username = self._real_user(request, "Invalid Reset Request for user")
        record = auth.store.get(username)
        assert record is not None
        try:
            auth.limiter.check(ip)
        except ApiError as error:
            raise auth.refused(ip, "password change while locked out", error.message) from None
        password = request.get_str("password")
        new_password = request.get_str("new_password")
        if not await self._password_matches(record, password):
            auth.limiter.failed(ip)
            raise auth.refused(ip, f"wrong current password for user '{username}'", "Invalid Password", 400)
        if not new_password:
            raise ApiError("Password may not be empty")
        hashed = await self._hashed(new_password)
        current = auth.store.get(username)
        if current is None:
            raise ApiError(f"No registered user: {username}", 404)
        await auth.store.save(dict(current, jwt_secret=None, jwk_id=None, **hashed))
        auth.revert_connections(username, keep=request.connection)
        log.info("Password of user {username} changed; its tokens are revoked", username=username)
        return {"username": username, "action": "user_password_reset"}

    # -- API key ------------------------------------------------------------------------

    @endpoint("access.get_api_key", "GET /access/api_key")
    def get_api_key(self, request: Request) -> str:
        return self.auth.store.api_key

    @endpoint("access.post_api_key", "POST /access/api_key")
    async def post_api_key(self, request: Request) -> str:
        await self.auth.store.new_api_key(self.auth.clock.seconds())
        log.info("API key regenerated")
        return self.auth.store.api_key

    # -- helpers --------------------------------------------------------------------------

    def _real_user(self, request: Request, message: str) -> str:
        """The caller's user name, if it is a stored user (not trusted, API key or local)."""
        user = request.user
        username = user.get("username") if user is not None else None
        if username is None or username not in self.auth.store:
            raise ApiError(f"{message} {username}")
        return str(username)

    async def _password_matches(self, record: dict[str, Any] | None, password: str) -> bool:
        """Whether ``password`` is ``record``'s; unknown users cost the same time (no user oracle)."""
        cost = self.auth.password_cost
        salt, stored = "00" * 32, f"{passwords.SCHEME}:{cost.log_n}:{cost.r}:{cost.p}:" + "00" * 32
        if record is not None and record.get("password") and record.get("salt"):
            salt, stored = record["salt"], record["password"]
        matched = await self.auth.run_blocking(passwords.verify_password, password, salt, stored)
        return bool(matched) and record is not None

    async def _hashed(self, password: str) -> dict[str, str]:
        salt, stored = await self.auth.run_blocking(passwords.hash_password, password, self.auth.password_cost)
        return {"salt": salt, "password": stored}

    async def _issue_tokens(self, record: dict[str, Any], action: str) -> dict[str, Any]:
        """Give ``record`` a signing key if it has none, store it, and issue both tokens."""
        key = signing_key(record)
        if key is None:
            key = tokens.SigningKey.generate()
            record = dict(record, jwt_secret=key.seed_hex, jwk_id=key.key_id)
        await self.auth.store.save(record)
        now, issuer = self.auth.clock.seconds(), self.auth.issuer
        username = record["username"]
        return {
            "username": username,
            "token": tokens.issue(key, username, tokens.ACCESS, now, tokens.ACCESS_LIFETIME, issuer),
            "refresh_token": tokens.issue(key, username, tokens.REFRESH, now, self.auth.refresh_lifetime, issuer),
            "source": record.get("source", "moonraker"),
            "action": action,
        }
