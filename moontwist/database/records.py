"""Keys and nested fields: how a key addresses a value inside a record.

A key path is a list of strings: the first selects the record, the rest
index into the record's nested dicts.
"""

from __future__ import annotations

from typing import Any, Sequence

from moontwist.errors import ApiError

Key = str | Sequence[str]


def parse_api_key(key: Any) -> list[str]:
    """An API key (``"a.b.c"`` or ``["a", "b", "c"]``) as a key path."""
    if isinstance(key, int) and not isinstance(key, bool):
        key = str(key)
    if isinstance(key, str):
        return check_path(key.split("."))
    if isinstance(key, (list, tuple)):
        return check_path(list(key))
    raise ApiError("Invalid Key Format")


def record_path(key: Key) -> list[str]:
    """An internal key as a key path: a string is one whole record key."""
    return [key] if isinstance(key, str) else list(key)


def check_path(path: list[Any]) -> list[str]:
    if not path or not all(isinstance(part, str) and part for part in path):
        raise ApiError("Invalid Key Format")
    return path


def display(path: Sequence[str]) -> str:
    return ".".join(path)


def lookup(value: Any, fields: Sequence[str]) -> Any:
    """The field at ``fields`` inside ``value``; KeyError when absent."""
    for name in fields:
        if not isinstance(value, dict) or name not in value:
            raise KeyError(name)
        value = value[name]
    return value


def assign(record: Any, fields: Sequence[str], leaf: Any) -> dict[str, Any]:
    """Set the field at ``fields``, creating dicts on the way (a non-dict is replaced)."""
    root: dict[str, Any] = record if isinstance(record, dict) else {}
    node = root
    for name in fields[:-1]:
        child = node.get(name)
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    node[fields[-1]] = leaf
    return root


def remove(record: Any, fields: Sequence[str]) -> Any:
    """Remove and return the field at ``fields``; KeyError when absent."""
    parent = lookup(record, fields[:-1])
    if not isinstance(parent, dict) or fields[-1] not in parent:
        raise KeyError(fields[-1])
    return parent.pop(fields[-1])
