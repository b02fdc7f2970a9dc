"""The one API error type and its mapping to HTTP status and JSON-RPC code."""

from __future__ import annotations

# Moonraker maps these HTTP statuses to JSON-RPC codes; every other status is
# used as the JSON-RPC code unchanged (400, 403, 405, 409, 422, 503, ...).
_JSONRPC_CODES = {404: -32601, 401: -32602}


class ApiError(Exception):
    """A failure a client should see: an HTTP status and a message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def jsonrpc_code(self) -> int:
        return jsonrpc_code(self.status)


def jsonrpc_code(status: int) -> int:
    """The JSON-RPC error code Moonraker clients expect for an HTTP status."""
    return _JSONRPC_CODES.get(status, status)
