"""``GET /``: a small HTML page saying what this server is and how it is doing.

Moonraker answers its root with such a page; people open the API port in a
browser to check that the server runs and whether their device is trusted.
Warnings are shown only to a device that is authorized, as they name paths.
"""

from __future__ import annotations

from html import escape
from typing import Any

from twisted.web.iweb import IRequest

from moontwist import __version__
from moontwist.context import ServerContext
from moontwist.resources.http import HttpApi

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>moontwist {version}</title>
<style>body {{ font-family: sans-serif; margin: 3em auto; max-width: 50em; background: #303030; color: #e6e6e6; }}
li {{ margin: .4em 0; }}</style></head>
<body>
<h1>moontwist {version}</h1>
<p>A Klipper API server, compatible with Moonraker's API.</p>
<ul>
{summary}
</ul>
{warnings}
</body>
</html>
"""


def welcome_page(ctx: ServerContext, authorized: bool) -> str:
    klippy = ctx.components.get("klippy")
    state = klippy.state if klippy is not None else "disconnected"
    summary = [
        "Your device is authorized to access the API." if authorized else
        "Your device is not authorized to access the API. Use an API key, log in, or add its address "
        "to 'trusted_clients' in the [authorization] section of moonraker.conf.",
        "Klipper is not connected." if state == "disconnected" else f"Klipper reports: {state}.",
        f"Open websockets: {ctx.connections.websocket_count()}.",
    ]
    warnings = ""
    if authorized and ctx.warnings:
        items = "\n".join(f"<li>{escape(warning)}</li>" for warning in ctx.warnings)
        warnings = f"<h2>Warnings</h2>\n<ul>\n{items}\n</ul>"
    return PAGE.format(version=escape(__version__), warnings=warnings,
                       summary="\n".join(f"<li>{escape(line)}</li>" for line in summary))


def install_welcome_route(ctx: ServerContext, api: HttpApi) -> None:
    """Serve the welcome page at the root (open to everyone, as in Moonraker)."""
    guarded = "authorization" in ctx.components

    @api.app.route(api.route_path("/"), methods=["GET"], branch=False)
    def welcome(request: IRequest) -> Any:
        authorized = not guarded or getattr(request, "moontwist_user", None) is not None
        request.setHeader(b"content-type", b"text/html; charset=UTF-8")
        return welcome_page(ctx, authorized).encode()
