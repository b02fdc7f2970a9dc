"""The one API error type and its mapping to HTTP status and JSON-RPC code."""

from __future__ import annotations

from typing import Any

# Moonraker's mapping, which clients depend on: 404 is -32601 and 401 is -32602;
# every other status is the JSON-RPC code unchanged (400, 403, 405, 409, 422, 503...).
# A missing file, folder or job is 400 where Moonraker says so (at its source), not
# 404, so that it does not read as "method not found". A 404 that Moonraker keeps
# (missing metadata, database key, history job) stays -32601: Fluidd shows an error
# toast for every JSON-RPC error coded 400-499, and none for -32601.
_JSONRPC_CODES = {404: -32601, 401: -32602}


class ApiError(Exception):
    """A failure a client should see: an HTTP status and a message."""

    def __init__(self, message: str, status: int = 400, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # Extra detail for the JSON-RPC error's ``data`` (an agent's own error object).
        self.data = data

    @property
    def jsonrpc_code(self) -> int:
        return jsonrpc_code(self.status)


def jsonrpc_code(status: int) -> int:
    """The JSON-RPC error code Moonraker clients expect for an HTTP status."""
    return _JSONRPC_CODES.get(status, status)
