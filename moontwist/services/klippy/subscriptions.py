"""One Klippy subscription shared by everyone; each client gets only its own fields.

Klippy keeps one subscription per connection, so we ask it for the union of
what every client connection and every service wants, keep the latest values
in a cache, and give each client the changed fields it asked for. Clients that
asked for the same objects form a group; each update is encoded once for all
groups that want the same part of it, not once per client.
"""

from __future__ import annotations

import itertools
from typing import Any, Hashable, Iterable

from moontwist.connections import ClientConnection, ConnectionManager

Objects = dict[str, "list[str] | None"]
Status = dict[str, dict[str, Any]]
GroupKey = tuple[tuple[str, "tuple[str, ...] | None"], ...]
Selection = tuple[tuple[str, "tuple[str, ...] | None"], ...]

STATUS_NOTIFICATION = "notify_status_update"


def group_key(objects: Objects) -> GroupKey:
    """The same key for requests naming the same objects and fields in any order."""
    return tuple(sorted((name, None if fields is None else tuple(sorted(set(fields))))
                        for name, fields in objects.items()))


def merge(requests: Iterable[Objects]) -> Objects:
    """The union of several requests: field lists merged, ``None`` (all fields) wins."""
    merged: dict[str, set[str] | None] = {}
    for objects in requests:
        for name, fields in objects.items():
            if fields is None:
                merged[name] = None
            elif name not in merged:
                merged[name] = set(fields)
            else:
                known = merged[name]
                if known is not None:
                    known.update(fields)
    return {name: None if fields is None else sorted(fields) for name, fields in merged.items()}


def covers(wider: Objects, narrower: Objects) -> bool:
    """Whether a subscription to ``wider`` already reports everything in ``narrower``."""
    for name, fields in narrower.items():
        if name not in wider:
            return False
        have = wider[name]
        if have is not None and (fields is None or not set(fields) <= set(have)):
            return False
    return True


def select(status: Status, objects: Objects) -> Status:
    """A query answer cut down to ``objects``; requested but absent fields are null."""
    chosen: Status = {}
    for name, fields in objects.items():
        values = status.get(name)
        if values is None:
            continue
        chosen[name] = dict(values) if fields is None else {field: values.get(field) for field in fields}
    return chosen


class _Group:
    """Client connections that asked for exactly the same objects and fields."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self._fields = {name: None if fields is None else frozenset(fields) for name, fields in objects.items()}
        self.members: dict[int, ClientConnection] = {}

    def selection(self, changes: Status) -> Selection:
        """Which of ``changes`` this group wants: per object, all changed fields (None) or these."""
        chosen: list[tuple[str, tuple[str, ...] | None]] = []
        for name, changed in changes.items():
            if name not in self._fields:
                continue
            fields = self._fields[name]
            if fields is None:
                chosen.append((name, None))
                continue
            wanted = tuple(field for field in changed if field in fields)
            if len(wanted) == len(changed):
                chosen.append((name, None))
            elif wanted:
                chosen.append((name, wanted))
        return tuple(chosen)


def apply_selection(changes: Status, selection: Selection) -> Status:
    return {name: changes[name] if fields is None else {field: changes[name][field] for field in fields}
            for name, fields in selection}


class SubscriptionMux:
    """Requests by owner, the union sent to Klippy, the value cache, and the fan-out."""

    def __init__(self, connections: ConnectionManager) -> None:
        self._connections = connections
        self._owners: dict[Hashable, Objects] = {}
        self._groups: dict[GroupKey, _Group] = {}
        self._membership: dict[int, GroupKey] = {}
        self._cache: Status = {}
        self.klippy_subscription: Objects | None = None
        self.last_eventtime = 0.0

    @property
    def cache(self) -> Status:
        """Latest known value of every subscribed field (do not modify)."""
        return self._cache

    def set_owner(self, owner: Hashable, objects: Objects) -> None:
        """Replace what a service wants; an empty request cancels."""
        if objects:
            self._owners[owner] = objects
        else:
            self._owners.pop(owner, None)

    def set_connection(self, connection: ClientConnection, objects: Objects) -> None:
        """Replace what a client connection wants; an empty request cancels."""
        self.drop_connection(connection)
        if not objects:
            return
        key = group_key(objects)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(objects)
        group.members[connection.connection_id] = connection
        self._membership[connection.connection_id] = key

    def drop_connection(self, connection: ClientConnection) -> None:
        key = self._membership.pop(connection.connection_id, None)
        if key is None:
            return
        group = self._groups[key]
        group.members.pop(connection.connection_id, None)
        if not group.members:
            del self._groups[key]

    def subscribers(self) -> int:
        return len(self._membership)

    def union(self) -> Objects:
        groups = (group.objects for group in self._groups.values())
        return merge(itertools.chain(self._owners.values(), groups))

    def needs_subscribe(self, objects: Objects) -> bool:
        """Whether ``objects`` reach past the subscription Klippy has now."""
        return self.klippy_subscription is not None and not covers(self.klippy_subscription, objects)

    def apply_answer(self, status: Status, eventtime: float, complete: bool = False) -> Status:
        """Take a query or subscribe answer into the cache.

        Fields we already had that changed are sent to subscribers as an update
        and returned. A ``complete`` answer (to the union subscription) replaces
        each object's cached fields and drops objects nobody subscribes to any more.
        """
        changes: Status = {}
        for name, values in status.items():
            cached = self._cache.get(name)
            if cached is not None:
                changed = {field: value for field, value in values.items()
                           if field in cached and cached[field] != value}
                if changed:
                    changes[name] = changed
            if complete or cached is None:
                self._cache[name] = dict(values)
            else:
                cached.update(values)
        if complete:
            for name in [name for name in self._cache if name not in status]:
                del self._cache[name]
        self._deliver(changes, eventtime)
        return changes

    def apply_update(self, status: Status, eventtime: float) -> Status:
        """Take a pushed update into the cache; send and return what really changed."""
        changes: Status = {}
        for name, values in status.items():
            cached = self._cache.setdefault(name, {})
            changed = {field: value for field, value in values.items()
                       if field not in cached or cached[field] != value}
            if changed:
                cached.update(changed)
                changes[name] = changed
        self._deliver(changes, eventtime)
        return changes

    def _deliver(self, changes: Status, eventtime: float) -> None:
        self.last_eventtime = eventtime
        if not changes:
            return
        # Groups that want the same part of this update share one encoding.
        recipients: dict[Selection, list[ClientConnection]] = {}
        for group in self._groups.values():
            selection = group.selection(changes)
            if selection:
                recipients.setdefault(selection, []).extend(group.members.values())
        for selection, connections in recipients.items():
            status = apply_selection(changes, selection)
            self._connections.send_to(connections, STATUS_NOTIFICATION, [status, eventtime])
