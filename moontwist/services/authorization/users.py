"""Users and the API key, kept in the forbidden ``authorized_users`` namespace.

Records have the shape Moonraker's lmdb database used (and our importer
writes): one record per user name with ``username``, ``password``, ``salt``,
``created_on``, ``source``, ``jwt_secret``, ``jwk_id`` and ``groups``, plus
the record ``_API_KEY_USER_`` holding ``{"api_key", "created_on"}``. Reads are
served from memory; every change is written through and fires after commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from twisted.internet.defer import Deferred

from moontwist.database import Namespace
from moontwist.services.authorization.tokens import SigningKey

NAMESPACE = "authorized_users"
API_KEY_USER = "_API_KEY_USER_"
TRUSTED_USER = "_TRUSTED_USER_"
RESERVED_USERS = (API_KEY_USER, TRUSTED_USER)
# Where users come from; Moonraker's "ldap" is not offered (yet).
SOURCES = ("moonraker",)


class UserStore:
    """The user records and the API key, cached in memory."""

    def __init__(self, namespace: Namespace) -> None:
        self._namespace = namespace
        self._users: dict[str, dict[str, Any]] = {}
        self._by_key_id: dict[str, str] = {}
        self.api_key = ""
        self.api_key_created = 0.0

    def load(self, now: float) -> "Deferred[None] | None":
        """Read every record; create the API key on first start (then fires after the write)."""
        for name, record in self._namespace.items():
            if name == API_KEY_USER:
                if isinstance(record, dict) and isinstance(record.get("api_key"), str):
                    self.api_key = record["api_key"]
                    self.api_key_created = float(record.get("created_on") or now)
            elif name not in RESERVED_USERS and isinstance(record, dict):
                record = self._users[name] = dict(record, username=name)
                key = signing_key(record)
                if key is not None:
                    self._by_key_id[key.key_id] = name
        if not self.api_key:
            return self.new_api_key(now)
        return None

    def __contains__(self, username: str) -> bool:
        return username in self._users

    def get(self, username: str) -> dict[str, Any] | None:
        return self._users.get(username)

    def names(self) -> list[str]:
        return list(self._users)

    def owner_of(self, key_id: str) -> str | None:
        return self._by_key_id.get(key_id)

    def save(self, record: dict[str, Any]) -> "Deferred[None]":
        """Store ``record`` (new or changed), keeping the key-id index in step."""
        username = record["username"]
        self._forget_key(username)
        self._users[username] = record
        key = signing_key(record)
        if key is not None:
            self._by_key_id[key.key_id] = username
        return self._namespace.insert(username, record)

    def delete(self, username: str) -> "Deferred[Any]":
        self._forget_key(username)
        del self._users[username]
        return self._namespace.delete(username)

    def new_api_key(self, now: float) -> "Deferred[None]":
        self.api_key = uuid.uuid4().hex
        self.api_key_created = now
        return self._namespace.insert(API_KEY_USER, {"api_key": self.api_key, "created_on": now})

    def _forget_key(self, username: str) -> None:
        old = self._users.get(username)
        key = signing_key(old) if old is not None else None
        if key is not None and self._by_key_id.get(key.key_id) == username:
            del self._by_key_id[key.key_id]


def signing_key(record: dict[str, Any]) -> SigningKey | None:
    """The user's JWT key, or None when logged out (or the stored key is unusable)."""
    key_id, seed = record.get("jwk_id"), record.get("jwt_secret")
    if not isinstance(key_id, str) or not isinstance(seed, str) or len(seed) != 64:
        return None
    try:
        bytes.fromhex(seed)
    except ValueError:
        return None
    return SigningKey(key_id, seed)


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """What clients see of a user."""
    return {"username": record["username"], "source": record.get("source", "moonraker"),
            "created_on": record.get("created_on")}
