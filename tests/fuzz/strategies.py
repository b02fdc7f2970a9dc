"""Hypothesis strategies for hostile JSON-RPC calls, generated from the endpoint registry.

Every registered method is a candidate. Its argument names are read from its
handler's module (``request.get_str("path")`` and friends), so a new endpoint
is fuzzed with its own argument names without a list to keep. Values are any
JSON — and what JSON's grammar allows but no client should send: lone
surrogates, NUL, non-finite and huge numbers, very long strings, deep nesting.
Calls are written as JSON text by ``to_json`` so those values reach the wire
exactly as an attacker would write them.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

# Host actions (reboot, services, sudo) and a restart of the daemon itself are
# never fuzzed: they would act on the machine running the tests, or end the run.
EXCLUDED = {"machine.reboot", "machine.shutdown", "machine.services.restart", "machine.services.start",
            "machine.services.stop", "machine.sudo.password", "server.restart"}
ARGUMENT = re.compile(r"""\.get(?:_\w+)?\(\s*["'](\w+)["']""")


@dataclass(frozen=True)
class Method:
    name: str
    http_verb: str | None
    http_path: str | None
    jsonrpc: bool
    arguments: tuple[str, ...]


class Raw:
    """JSON text written as is (``NaN``, ``1e999999``, ``[[[...]]]``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r}{'...' if len(self.text) > 40 else ''})"


def to_json(value: Any) -> str:
    """JSON text for ``value``; strings keep lone surrogates as ``\\udXXX`` escapes."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + to_json(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


def registry_methods() -> list[Method]:
    """Every endpoint of a daemon built (not started) from a config with every optional part."""
    from moontwist.app import build
    from moontwist.context import Options

    folder = Path(tempfile.mkdtemp(prefix="mtr"))
    try:
        (folder / "config").mkdir()
        (folder / "config" / "moonraker.conf").write_text("[server]\nport: 0\n\n[octoprint_compat]\n")
        service = build(Options(data_path=folder, config_file=folder / "config" / "moonraker.conf",
                                log_file=None, unix_socket=folder / "comms" / "m.sock"))
        methods = []
        for entry in service.ctx.registry.endpoints():  # type: ignore[attr-defined]
            if entry.method in EXCLUDED:
                continue
            module = sys.modules[entry.handler.__module__]
            names = sorted(set(ARGUMENT.findall(inspect.getsource(module))))
            methods.append(Method(entry.method, entry.http_verb, entry.http_path,
                                  bool(entry.transports & entry.transports.JSONRPC), tuple(names)))
        return sorted(methods, key=lambda method: method.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


HOSTILE_NUMBERS = [Raw(text) for text in ("NaN", "Infinity", "-Infinity", "1e999999", "-1e999999", "1e-999999",
                                           "1" * 5000, "-0", "1E400", "123456789012345678901234567890")]
HOSTILE_STRINGS = ["", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ud83d", "../../etc/passwd", "/etc/passwd",
                   "gcodes/../../../etc", "gcodes/" + "a" * 300, "a" * 5000, "gcodes", "config",
                   "config/moonraker.conf", "gcodes/cube.gcode", "cube.gcode", "~", ".", "*", "%00", "\\",
                   "CON", "gcodes/\u202e.gcode", "true", "null"]


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS), st.sampled_from(HOSTILE_NUMBERS),
        st.text(st.characters(codec=None, categories=["Cs", "Cc", "Co"]), min_size=1, max_size=4),
        st.integers(1000, 300_000).map(lambda size: "x" * size),
    )


def values() -> st.SearchStrategy[Any]:
    deep = st.integers(20, 3000).map(lambda depth: Raw("[" * depth + "]" * depth))
    nested = st.recursive(scalars(), lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)
    return st.one_of(nested, deep)


@st.composite
def calls(draw: st.DrawFn, methods: list[Method]) -> tuple[str, bytes, Any]:
    """``(method name, request bytes, id sent)``; the id is ``...`` for a notification."""
    candidates = [method for method in methods if method.jsonrpc]
    method = draw(st.sampled_from(candidates))
    name = draw(st.one_of(st.just(method.name), st.just(method.name), st.just(method.name),
                          st.text(max_size=20), st.sampled_from(["", "\ud800", "rpc.x", method.name + "\x00"])))
    keys = st.sampled_from(method.arguments) if method.arguments else st.text(max_size=8)
    params = draw(st.one_of(
        st.dictionaries(keys, values(), max_size=4),
        st.dictionaries(st.one_of(keys, st.text(max_size=8)), values(), max_size=3),
        values(),
    ))
    request_id: Any = draw(st.one_of(st.integers(1, 1 << 40), st.integers(1, 1 << 40),
                                     st.text(max_size=12), st.none(), st.just(...),
                                     st.sampled_from([Raw("NaN"), Raw("1e999999"), Raw("true"), Raw('"\\ud800"'),
                                                      Raw("[1]"), Raw("{}"), Raw("1.5"), Raw("-0")])))
    message: dict[str, Any] = {"jsonrpc": draw(st.sampled_from(["2.0", "2.0", "2.0", "1.0", Raw("2")])),
                               "method": name}
    if draw(st.booleans()) or params:
        message["params"] = params
    if request_id is not ...:
        message["id"] = request_id
    text = to_json(message)
    if draw(st.integers(0, 9)) == 0:
        text = "[" + text + "," + text + "]"
    return method.name, text.encode(), request_id


def expected_id(sent: Any) -> Any:
    """The id a reply must carry: the one sent when it is a valid JSON-RPC id, else null."""
    if isinstance(sent, Raw):
        try:
            sent = json.loads(sent.text)
        except ValueError:
            return None
    if sent is ... or isinstance(sent, bool):
        return None
    if isinstance(sent, str):
        try:
            sent.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return sent
    if isinstance(sent, float) and not math.isfinite(sent):
        return None
    return sent if sent is None or isinstance(sent, (int, float)) else None


@st.composite
def route_calls(draw: st.DrawFn, methods: list[Method]) -> tuple[str, str, bytes | None]:
    """``(verb, target, JSON body or None)`` for a registry HTTP route with hostile arguments:
    GET and DELETE carry them in the query string (raw bytes, ``key:type`` hints), the
    other verbs in a JSON body."""
    method = draw(st.sampled_from([method for method in methods if method.http_path]))
    verb, path = method.http_verb or "GET", method.http_path or "/"
    keys = st.sampled_from(method.arguments) if method.arguments else st.text(max_size=8)
    if verb in ("GET", "DELETE"):
        pairs = draw(st.lists(st.tuples(
            st.one_of(keys, keys.map(lambda key: key + draw(st.sampled_from([":int", ":float", ":bool", ":json",
                                                                            ":nope"])))),
            st.one_of(st.binary(max_size=30), st.sampled_from([b"nan", b"inf", b"1e999", b"%ED%A0%80", b"[1,",
                                                               b"%00", b"true", b"-1", b"9" * 5000]),
                      values().map(lambda value: to_json(value).encode()))), max_size=4))
        query = b"&".join(quote(key.encode(), safe=":").encode() + b"=" + quote(value, safe="%").encode()
                          for key, value in pairs)
        return verb, path + ("?" + query.decode() if query else ""), None
    params = draw(st.one_of(st.dictionaries(keys, values(), max_size=4), values()))
    return verb, path, to_json(params).encode()
