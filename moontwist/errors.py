"""The one API error type and its mapping to HTTP status and JSON-RPC code."""

from __future__ import annotations

METHOD_NOT_FOUND = -32601

# An unauthenticated call is JSON-RPC -32602 as in Moonraker; every other status
# is used as the JSON-RPC code unchanged (400, 403, 404, 405, 409, 422, 503, ...).
# Only a method that does not exist is -32601 (``method_not_found``): clients read
# that code as "this server lacks the API", so a missing file or key must not use it.
_JSONRPC_CODES = {401: -32602}


class ApiError(Exception):
    """A failure a client should see: an HTTP status and a message."""

    def __init__(self, message: str, status: int = 400, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self._code = code

    @property
    def jsonrpc_code(self) -> int:
        return self._code if self._code is not None else jsonrpc_code(self.status)


def jsonrpc_code(status: int) -> int:
    """The JSON-RPC error code of a domain error with HTTP ``status``."""
    return _JSONRPC_CODES.get(status, status)


def method_not_found(message: str = "Method not found") -> ApiError:
    """No such API method: HTTP 404, JSON-RPC -32601."""
    return ApiError(message, 404, METHOD_NOT_FOUND)
