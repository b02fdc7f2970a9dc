"""The lmdb store: namespaces of JSON records, inline reads, batched writes.

Reads run inline on the reactor thread (an lmdb read transaction is a few
pointer copies and never waits for the writer); writes go through the one
``Writer`` and fire their Deferred after the commit, so a read made after an
acknowledged write sees it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import lmdb
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.threads import deferToThreadPool

from moontwist.database import records
from moontwist.database.writer import Writer, WriteOp
from moontwist.errors import ApiError
from moontwist.protocols import jsoncodec

DEFAULT_MAP_SIZE = 128 * 1024 * 1024
_SEPARATOR = b"\x00"
_AFTER_SEPARATOR = b"\x01"


class DatabaseLocked(Exception):
    """Another process (or another Store in this one) has the database open."""


PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def store_path(data_path: Path | str) -> Path:
    """Where the store of a data path lives (beside Moonraker's own files)."""
    return Path(data_path) / "database" / "moontwist"


class Store:
    """One lmdb environment holding every namespace."""

    def __init__(self, path: Path, reactor: Any, map_size: int = DEFAULT_MAP_SIZE) -> None:
        self.path = path
        self._reactor = reactor
        self._initial_map_size = map_size
        self._env: lmdb.Environment | None = None
        self._writer: Writer | None = None
        self._lock_fd: int | None = None
        self._max_key_size = 0
        # Writes submitted while compaction swaps the file: (op, Deferred) to run after.
        self._held: list[tuple[WriteOp, Deferred[Any]]] | None = None
        self._compacting: Deferred[tuple[int, int]] | None = None

    # -- lifecycle --------------------------------------------------------------

    def open(self) -> None:
        """Open (creating if needed) the environment; DatabaseLocked if in use."""
        _private_folder(self.path)
        self._lock_fd = _lock(self.path / "moontwist.lock")
        try:
            self._env = lmdb.open(
                str(self.path), map_size=self._initial_map_size, max_dbs=0, sync=True, metasync=True,
                mode=PRIVATE_FILE,
            )
        except BaseException:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise
        self._env.reader_check()
        self._max_key_size = self._env.max_key_size()
        self._writer = Writer(self._env, self._reactor)

    @property
    def file_size(self) -> int:
        return (self.path / "data.mdb").stat().st_size

    def compact(self) -> "Deferred[tuple[int, int]]":
        """Rewrite the file without its free pages; fires with (size before, size after).

        Reads go on meanwhile; writes wait and run after. The compacted copy
        replaces the file with one rename, so a crash leaves one or the other.
        """
        compacting = Deferred.fromCoroutine(self._compact())
        if not compacting.called:
            self._compacting = compacting
            compacting.addBoth(self._compacted)
        return compacting

    def _compacted(self, result: Any) -> Any:
        self._compacting = None
        return result

    async def _compact(self) -> tuple[int, int]:
        if self._writer is None or self._held is not None:
            raise _unavailable()
        env, before = self._environment(), self.file_size
        self._held = []
        await self._writer.close()
        copy = Path(tempfile.mkdtemp(prefix=".compact-", dir=self.path))
        try:
            pool = self._reactor.getThreadPool()
            await deferToThreadPool(self._reactor, pool, env.copy, str(copy), compact=True)
            map_size = env.info()["map_size"]
            env.close()
            try:
                os.replace(copy / "data.mdb", self.path / "data.mdb")
            finally:
                self._env = lmdb.open(str(self.path), map_size=map_size, max_dbs=0, sync=True, metasync=True)
        finally:
            shutil.rmtree(copy, ignore_errors=True)
            self._writer = Writer(self._environment(), self._reactor)
            held, self._held = self._held, None
            for op, done in held:
                self._writer.submit(op).chainDeferred(done)
        return before, self.file_size

    def close(self) -> "Deferred[None]":
        """Commit the queued writes, then close the environment (after a compaction under way)."""
        if self._compacting is not None:
            waiting: Deferred[None] = Deferred()

            def then_close(result: Any) -> Any:
                self.close().chainDeferred(waiting)
                return result

            self._compacting.addBoth(then_close)
            return waiting
        if self._writer is None:
            return succeed(None)
        writer, self._writer = self._writer, None
        return writer.close().addCallback(self._closed)

    def _closed(self, _: None) -> None:
        assert self._env is not None and self._lock_fd is not None
        self._env.close()
        self._env = None
        os.close(self._lock_fd)
        self._lock_fd = None

    @property
    def map_size(self) -> int:
        return int(self._environment().info()["map_size"])

    @property
    def transactions(self) -> int:
        """Write transactions committed since ``open``."""
        return self._writer.transactions if self._writer else 0

    # -- reads (synchronous, reactor thread) -----------------------------------

    def namespaces(self) -> list[str]:
        """Every namespace holding at least one record, sorted."""
        names: list[str] = []
        with self._environment().begin() as txn:
            cursor = txn.cursor()
            found = cursor.first()
            while found:
                name = cursor.key().split(_SEPARATOR, 1)[0]
                names.append(name.decode("utf-8"))
                found = cursor.set_range(name + _AFTER_SEPARATOR)
        return names

    def get(self, namespace: str, path: Sequence[str]) -> Any:
        """The value at ``path``; ApiError 404 when absent."""
        key = self._key(namespace, path)
        with self._environment().begin() as txn:
            raw = txn.get(key)
        try:
            if raw is None:
                raise KeyError(path[0])
            return records.lookup(_decode(raw), path[1:])
        except KeyError:
            raise _not_found(namespace, path) from None

    def records(self, namespace: str) -> dict[str, Any]:
        """Every record of ``namespace`` (empty when it does not exist)."""
        prefix = self._prefix(namespace)
        with self._environment().begin() as txn:
            return {
                key[len(prefix):].decode("utf-8"): _decode(raw) for key, raw in _scan(txn, prefix)
            }

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every record of every namespace, read in one transaction (for backups)."""
        result: dict[str, dict[str, Any]] = {}
        with self._environment().begin() as txn:
            for key, raw in txn.cursor():
                namespace, _, name = key.partition(_SEPARATOR)
                result.setdefault(namespace.decode("utf-8"), {})[name.decode("utf-8")] = _decode(raw)
        return result

    def keys(self, namespace: str) -> list[str]:
        prefix = self._prefix(namespace)
        with self._environment().begin() as txn:
            cursor = txn.cursor()
            if not cursor.set_range(prefix):
                return []
            names = []
            for key in cursor.iternext(keys=True, values=False):
                if not key.startswith(prefix):
                    break
                names.append(key[len(prefix):].decode("utf-8"))
            return names

    # -- writes (Deferreds that fire after the commit) -------------------------

    def insert(self, namespace: str, path: Sequence[str], value: Any) -> "Deferred[None]":
        """Store ``value`` at ``path``, creating parent dicts as needed."""
        return self._submit(self._insert_op, namespace, path, value)

    def delete(self, namespace: str, path: Sequence[str]) -> "Deferred[Any]":
        """Remove the value at ``path``; fires with it, or fails with ApiError 404."""
        return self._submit(self._delete_op, namespace, path)

    def insert_many(self, namespace: str, items: Mapping[str, Any]) -> "Deferred[None]":
        """Store whole records, all in the same transaction."""
        return self._submit(self._insert_many_op, namespace, items)

    def import_namespaces(
        self, namespaces: Mapping[str, Mapping[str, Any]]
    ) -> "Deferred[list[str]]":
        """Store whole records of many namespaces in one transaction, for imports.

        Records that cannot be stored (bad key, value not JSON) are left out;
        fires with one line per record left out.
        """
        return self._submit(self._import_op, namespaces)

    def replace_all(self, namespaces: Mapping[str, Mapping[str, Any]]) -> "Deferred[list[str]]":
        """Make ``namespaces`` the store's whole content in one transaction (a restore).

        Fires with one line per record left out, as ``import_namespaces``.
        """
        return self._submit(self._replace_op, namespaces)

    def delete_many(self, namespace: str, keys: Iterable[str]) -> "Deferred[dict[str, Any]]":
        """Remove whole records (missing ones are skipped); fires with the removed."""
        return self._submit(self._delete_many_op, namespace, keys)

    def clear(self, namespace: str) -> "Deferred[None]":
        """Remove every record of ``namespace``."""
        return self._submit(self._clear_op, namespace)

    def _submit(self, build: Callable[..., WriteOp], *args: Any) -> "Deferred[Any]":
        if self._writer is None and self._held is None:
            return fail(_unavailable())
        try:
            op = build(*args)
        except ApiError as error:
            return fail(error)
        if self._held is not None:
            held: Deferred[Any] = Deferred()
            self._held.append((op, held))
            return held
        assert self._writer is not None
        return self._writer.submit(op)

    def _insert_op(self, namespace: str, path: Sequence[str], value: Any) -> WriteOp:
        key = self._key(namespace, path)
        payload = _encode(value, namespace, path)
        fields = list(path[1:])

        def insert(txn: lmdb.Transaction) -> None:
            if fields:
                raw = txn.get(key)
                record = _decode(raw) if raw is not None else {}
                txn.put(key, jsoncodec.encode(records.assign(record, fields, _decode(payload))))
            else:
                txn.put(key, payload)

        return insert

    def _delete_op(self, namespace: str, path: Sequence[str]) -> WriteOp:
        key = self._key(namespace, path)
        fields = list(path[1:])

        def delete(txn: lmdb.Transaction) -> Any:
            raw = txn.get(key)
            if raw is None:
                raise _not_found(namespace, path)
            record = _decode(raw)
            if not fields:
                txn.delete(key)
                return record
            try:
                removed = records.remove(record, fields)
            except KeyError:
                raise _not_found(namespace, path) from None
            txn.put(key, jsoncodec.encode(record))
            return removed

        return delete

    def _insert_many_op(self, namespace: str, items: Mapping[str, Any]) -> WriteOp:
        encoded = [
            (self._key(namespace, [name]), _encode(value, namespace, [name]))
            for name, value in items.items()
        ]

        def insert_many(txn: lmdb.Transaction) -> None:
            for key, payload in encoded:
                txn.put(key, payload)

        return insert_many

    def _import_op(self, namespaces: Mapping[str, Mapping[str, Any]]) -> WriteOp:
        encoded: list[tuple[bytes, bytes]] = []
        refused: list[str] = []
        for namespace, items in namespaces.items():
            for name, value in items.items():
                try:
                    key = self._key(namespace, [name])
                    encoded.append((key, _encode(value, namespace, [name])))
                except ApiError as error:
                    refused.append(f"{namespace}/{name}: {error.message}")

        def import_records(txn: lmdb.Transaction) -> list[str]:
            for key, payload in encoded:
                txn.put(key, payload)
            return refused

        return import_records

    def _replace_op(self, namespaces: Mapping[str, Mapping[str, Any]]) -> WriteOp:
        import_records = self._import_op(namespaces)

        def replace(txn: lmdb.Transaction) -> list[str]:
            cursor = txn.cursor()
            if cursor.first():
                while cursor.delete():
                    pass
            refused: list[str] = import_records(txn)
            return refused

        return replace

    def _delete_many_op(self, namespace: str, names: Iterable[str]) -> WriteOp:
        keys = [(name, self._key(namespace, [name])) for name in names]

        def delete_many(txn: lmdb.Transaction) -> dict[str, Any]:
            removed = {}
            for name, key in keys:
                raw = txn.pop(key)
                if raw is not None:
                    removed[name] = _decode(raw)
            return removed

        return delete_many

    def _clear_op(self, namespace: str) -> WriteOp:
        prefix = self._prefix(namespace)

        def clear(txn: lmdb.Transaction) -> None:
            cursor = txn.cursor()
            if cursor.set_range(prefix):
                while cursor.key().startswith(prefix) and cursor.delete():
                    pass

        return clear

    # -- keys -------------------------------------------------------------------

    def _environment(self) -> lmdb.Environment:
        if self._env is None:
            raise _unavailable()
        return self._env

    def _prefix(self, namespace: str) -> bytes:
        if not isinstance(namespace, str) or not namespace or "\x00" in namespace:
            raise ApiError(f"Invalid namespace '{namespace}'")
        return _utf8(namespace) + _SEPARATOR

    def _key(self, namespace: str, path: Sequence[str]) -> bytes:
        """The lmdb key of the record ``path`` starts in (the path is validated)."""
        name = records.check_path(list(path))[0]
        key = self._prefix(namespace) + _utf8(name)
        if len(key) > self._max_key_size:
            raise ApiError(f"Key '{name}' in namespace '{namespace}' is too long")
        return key


def _private_folder(path: Path) -> None:
    """``path`` and its files readable by our user alone: the store holds the JWT
    signing seeds and the API key. A store created before this is tightened too."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    os.chmod(path, PRIVATE_FOLDER)
    for child in path.iterdir():
        if child.is_file():
            os.chmod(child, PRIVATE_FILE)


def _lock(path: Path) -> int:
    """Hold an exclusive lock on ``path``: one owner per store, across processes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseLocked(f"database {path.parent} is in use by another process") from None
    return fd


def _scan(txn: lmdb.Transaction, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    cursor = txn.cursor()
    if not cursor.set_range(prefix):
        return
    for key, raw in cursor:
        if not key.startswith(prefix):
            return
        yield key, raw


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError("Invalid Key Format") from None


def _encode(value: Any, namespace: str, path: Sequence[str]) -> bytes:
    try:
        return jsoncodec.encode_strict(value)
    except (TypeError, ValueError) as error:
        raise ApiError(
            f"Cannot store key '{records.display(path)}' in namespace '{namespace}': {error}"
        ) from None


def _decode(raw: bytes) -> Any:
    return jsoncodec.decode(raw)


def _not_found(namespace: str, path: Sequence[str]) -> ApiError:
    return ApiError(f"Key '{records.display(path)}' in namespace '{namespace}' not found", 404)


def _unavailable() -> ApiError:
    return ApiError("Database not available", 503)
