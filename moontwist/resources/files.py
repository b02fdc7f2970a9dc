"""The HTTP-only file routes: upload, download, delete, and the two log files.

Uploads arrive through ``BoundedRequest`` (see ``request``): by the time
the route runs, the file part is streaming or streamed to a temp file, and the
route hands it to ``server.files.upload``. The answer is Moonraker's: 201,
the result object itself (not under ``result``) and a ``Location`` header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest

from moontwist.api import Request, Transport
from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.protocols import jsoncodec
from moontwist.resources.downloads import serve_file
from moontwist.resources.http import HttpApi, client_ip, error_body, query_args, write_json
from moontwist.resources.request import BodyGate
from moontwist.services.files.uploads import UPLOAD_ARGUMENT

UPLOAD_PATHS = ("/server/files/upload",)
OCTOPRINT_UPLOAD_PATHS = ("/api/files/local",)
LOG_FILES = ("klippy.log", "moonraker.log")


class FileRoutes:
    """Adds the file routes to an ``HttpApi`` and their upload paths to the site's ``BodyGate``."""

    def __init__(self, api: HttpApi, ctx: ServerContext, gate: BodyGate) -> None:
        self.api = api
        self.ctx = ctx
        self.files = ctx.component("file_manager")
        paths = UPLOAD_PATHS + (OCTOPRINT_UPLOAD_PATHS if "octoprint_compat" in ctx.components else ())
        self.upload_paths = [api.route_path(path) for path in paths]
        gate.accept_uploads({path.encode() for path in self.upload_paths}, self.files.max_upload_size,
                            self.files.open_incoming)

    def install(self) -> None:
        app = self.api.app
        for path in self.upload_paths:
            app.route(path, methods=["POST"], branch=False, endpoint=f"upload {path}")(self.upload)
        for name in LOG_FILES:
            app.route(self.api.route_path(f"/server/files/{name}"), methods=["GET", "HEAD"], branch=False,
                      endpoint=f"log {name}")(lambda request, name=name: self.log_file(request, name))
        app.route(self.api.route_path("/server/files/<string:root>/<path:filename>"),
                  methods=["GET", "HEAD", "DELETE"], branch=False, endpoint="file")(self.file)

    def _error(self, request: IRequest, error: Exception) -> bytes:
        return self.api.render_error(request, Failure(error))

    def upload(self, request: IRequest) -> "Deferred[bytes]":
        """Store the upload. A client that goes away once its body is in does not
        cancel it: the file is either stored or removed, never left half-way."""
        return shielded(Deferred.fromCoroutine(self._upload(request)))

    async def _upload(self, request: IRequest) -> bytes:
        stream = getattr(request, "upload", None)
        try:
            if stream is None:
                raise ApiError("Upload must be a multipart/form-data request with a boundary")
            received = await stream.received()
            args = query_args(request)
            args.update(stream.fields)
            args[UPLOAD_ARGUMENT] = received
            result = await self._run("server.files.upload", args, request)
        except ApiError as error:
            return self._error(request, error)
        item = result["item"]
        scheme = "https" if request.isSecure() else "http"
        host = (request.getHeader(b"host") or b"localhost").decode("latin-1")
        where = self.api.route_path(f"/server/files/{item['root']}/{quote(item['path'])}")
        request.setHeader(b"location", f"{scheme}://{host}{where}".encode())
        return write_json(request, 201, jsoncodec.encode(result))

    async def _run(self, method: str, args: dict[str, Any], request: IRequest) -> Any:
        entry = self.ctx.registry.by_method(method)
        assert entry is not None
        api_request = Request(method, args, Transport.HTTP, None, client_ip(request),
                              getattr(request, "moontwist_user", None), request.method.decode())
        return await self.ctx.registry.run(entry, api_request)

    async def file(self, request: IRequest, root: str, filename: str) -> Any:
        try:
            if request.method == b"DELETE":
                result = await self._run("server.files.delete_file", {"path": f"{root}/{filename}"}, request)
                return write_json(request, 200, jsoncodec.encode({"result": result}))
            return serve_file(request, self.files.download_path(root, filename))
        except ApiError as error:
            return self._error(request, error)
        except OSError:
            return self._error(request, ApiError(f"File {root}/{filename} does not exist", 404))

    def log_file(self, request: IRequest, name: str) -> Any:
        path = self.files.log_path(name)
        if not path.is_file():
            return write_json(request, 404, error_body(ApiError(f"File {name} does not exist", 404)))
        return serve_file(request, path)


def shielded(work: "Deferred[Any]") -> "Deferred[Any]":
    """A Deferred with ``work``'s result whose cancellation leaves ``work`` running."""
    outer: Deferred[Any] = Deferred(lambda _: None)

    def forward(result: Any) -> None:
        if not outer.called:
            outer.callback(result)

    work.addBoth(forward)
    return outer


def install_file_routes(ctx: ServerContext, api: HttpApi, gate: BodyGate) -> None:
    """Add the file routes, and their uploads to ``gate`` (nothing without a file manager)."""
    if "file_manager" in ctx.components:
        FileRoutes(api, ctx, gate).install()
