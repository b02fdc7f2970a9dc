"""Hypothesis strategies for hostile HTTP: request lines, headers, chunked bodies, multipart uploads."""

from __future__ import annotations

from hypothesis import strategies as st

ROUTES = [b"/server/info", b"/server/jsonrpc", b"/server/files/upload", b"/server/database/item",
          b"/websocket", b"/access/login", b"/printer/gcode/script", b"/server/files/gcodes/cube.gcode",
          b"/server/files/list", b"/api/files/local", b"/", b"/no/such/route", b"*"]
VERBS = [b"GET", b"POST", b"DELETE", b"PUT", b"HEAD", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE", b"get"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.1 ", b"http/1.1", b"HTTP/9", b""]
HEADER_NAMES = [b"Content-Length", b"Transfer-Encoding", b"Content-Type", b"Host", b"Connection", b"Expect",
                b"Origin", b"Authorization", b"X-Api-Key", b"Upgrade", b"Sec-WebSocket-Key",
                b"Sec-WebSocket-Version", b"X-Forwarded-For", b"Cookie", b"Range", b"If-None-Match"]
HEADER_VALUES = [b"0", b"-1", b"10", b"99999999999999999999", b"chunked", b"gzip, chunked", b"chunked, identity",
                 b"application/json", b"multipart/form-data; boundary=x", b"multipart/form-data",
                 b"100-continue", b"close", b"keep-alive, Upgrade", b"websocket", b"13", b"Bearer x.y.z",
                 b"bytes=0-1,5-", b"bytes=-0", b"http://evil.example", b"\xff\xfe", b"a" * 9000]


def _token(alphabet: bytes, max_size: int) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(list(alphabet)), max_size=max_size).map(bytes)


def targets() -> st.SearchStrategy[bytes]:
    queries = st.one_of(st.just(b""), st.binary(max_size=40).map(lambda raw: b"?" + raw),
                        st.sampled_from([b"?%ED%A0%80", b"?a:json=%5B", b"?x:float=nan", b"?token=1&token=2",
                                         b"?" + b"a=1&" * 500, b"?root=../../", b"?%"]))
    paths = st.one_of(st.sampled_from(ROUTES), st.binary(max_size=30).map(lambda raw: b"/" + raw),
                      st.integers(100, 20000).map(lambda size: b"/" + b"a" * size))
    return st.tuples(paths, queries).map(b"".join)


def headers() -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    names = st.one_of(st.sampled_from(HEADER_NAMES), st.binary(max_size=12))
    values = st.one_of(st.sampled_from(HEADER_VALUES), st.binary(max_size=30))
    return st.lists(st.tuples(names, values), max_size=8)


def chunked_bodies() -> st.SearchStrategy[bytes]:
    good = st.binary(min_size=1, max_size=300).map(lambda data: b"%x\r\n%s\r\n" % (len(data), data))
    bad = st.sampled_from([b"zz\r\n", b"-1\r\n", b"ffffffffffffffffffff\r\nx\r\n", b"3;ext=1\r\nabc\r\n",
                           b"5\r\nabc\r\n", b"1\r\nab", b"0\r\n", b"0\r\nTrailer: x\r\n\r\n", b"\r\n"])
    return st.lists(st.one_of(good, bad), max_size=6).map(lambda parts: b"".join(parts) + b"0\r\n\r\n")


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """One hostile HTTP/1.x request (line, headers, body), as bytes."""
    verb = draw(st.one_of(st.sampled_from(VERBS), _token(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&'*+-.^_`|~", 12),
                          st.binary(max_size=8)))
    line = verb + b" " + draw(targets()) + b" " + draw(st.sampled_from(VERSIONS))
    lines = [line] + [name + b": " + value for name, value in draw(headers())]
    kind = draw(st.sampled_from(["none", "length", "chunked", "wrong-length"]))
    body = draw(st.binary(max_size=400))
    if kind == "length":
        lines.append(b"Content-Length: %d" % len(body))
    elif kind == "wrong-length":
        lines.append(b"Content-Length: %d" % (len(body) + draw(st.integers(-len(body), 50))))
    elif kind == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        body = draw(chunked_bodies())
    else:
        body = b""
    separator = draw(st.sampled_from([b"\r\n", b"\r\n", b"\n", b"\r"]))
    return separator.join(lines) + separator + separator + body


@st.composite
def uploads(draw: st.DrawFn) -> bytes:
    """A multipart upload with hostile boundaries, part headers and file names."""
    boundary = draw(st.one_of(st.sampled_from([b"x", b"-" * 70, b'"quoted"', b"a b", b"", b"\xe2\x98\x83"]),
                              _token(b"abcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=? ", 80)))
    declared = draw(st.one_of(st.just(boundary), st.binary(max_size=20)))
    filename = draw(st.one_of(
        st.sampled_from([b"cube.gcode", b"../../etc/passwd", b"/abs.gcode", b"a" * 300 + b".gcode", b"",
                         b"x\x00.gcode", b"\xed\xa0\x80.gcode", b".moontwist-upload-x", b"sub/dir/f.gcode",
                         b"%2e%2e/f.gcode", b"con.gcode"]),
        st.binary(max_size=30)))
    fields = draw(st.lists(st.tuples(st.sampled_from([b"root", b"path", b"print", b"checksum", b"x"]),
                                     st.one_of(st.sampled_from([b"gcodes", b"config", b"../", b"true", b"0" * 64]),
                                               st.binary(max_size=20))), max_size=3))
    data = draw(st.binary(max_size=2000))
    parts = b""
    for name, value in fields:
        parts += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
    parts += (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename
              + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + data + b"\r\n")
    if draw(st.booleans()):
        parts += b"--" + boundary + b"--\r\n"
    head = (b"POST /server/files/upload HTTP/1.1\r\nHost: p\r\nContent-Type: multipart/form-data; boundary="
            + declared + b"\r\nContent-Length: %d\r\n\r\n" % len(parts))
    return head + parts
