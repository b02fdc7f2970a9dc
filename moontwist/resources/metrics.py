"""``GET /metrics``: Prometheus' text format, behind the same authorization as every route."""

from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest

from moontwist.context import ServerContext
from moontwist.metrics import CONTENT_TYPE
from moontwist.resources.http import HttpApi


def install_metrics_route(ctx: ServerContext, api: HttpApi) -> None:
    metrics = ctx.components.get("metrics")
    if metrics is None:
        return

    @api.app.route(api.route_path("/metrics"), methods=["GET"], branch=False)
    def exposition(request: IRequest) -> Any:
        request.setHeader(b"Content-Type", CONTENT_TYPE.encode())
        return metrics.exposition().encode("utf-8")
