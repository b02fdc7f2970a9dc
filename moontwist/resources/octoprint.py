"""OctoPrint's routes (``[octoprint_compat]``): results written as they are, not under ``result``."""

from __future__ import annotations

from typing import Any

from twisted.python.failure import Failure
from twisted.web.iweb import IRequest

from moontwist.api import Request, Transport
from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.protocols import jsoncodec
from moontwist.resources.http import HttpApi, body_args, client_ip, query_args, write_json

ROUTES = {
    "/api/version": (("GET",), "octoprint.version"),
    "/api/server": (("GET",), "octoprint.server"),
    "/api/login": (("GET", "POST"), "octoprint.login"),
    "/api/currentuser": (("GET",), "octoprint.currentuser"),
    "/api/settings": (("GET",), "octoprint.settings"),
    "/api/job": (("GET",), "octoprint.job"),
    "/api/printer": (("GET",), "octoprint.printer"),
    "/api/printer/command": (("POST",), "octoprint.printer.command"),
    "/api/printerprofiles": (("GET",), "octoprint.printerprofiles"),
}


def install_octoprint_routes(ctx: ServerContext, api: HttpApi) -> None:
    """Add the OctoPrint routes when ``[octoprint_compat]`` is configured."""
    if "octoprint_compat" not in ctx.components:
        return
    for path, (verbs, method) in ROUTES.items():
        def handle(request: IRequest, method: str = method) -> Any:
            return _call(ctx, api, request, method)

        api.app.route(api.route_path(path), methods=list(verbs), branch=False, endpoint=method)(handle)


def _call(ctx: ServerContext, api: HttpApi, request: IRequest, method: str) -> Any:
    entry = ctx.registry.by_method(method)
    assert entry is not None
    try:
        args = query_args(request)
        args.update(body_args(request))
    except ApiError as error:
        return api.render_error(request, Failure(error))
    api_request = Request(method, args, Transport.HTTP, None, client_ip(request),
                          getattr(request, "moontwist_user", None), request.method.decode())
    return ctx.registry.run(entry, api_request).addCallbacks(
        lambda result: write_json(request, 200, jsoncodec.encode(result)),
        lambda failure: api.render_error(request, failure),
    )
