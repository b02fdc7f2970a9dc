"""Serve a built web UI (its dist folder) on loopback, for scripts/ui-check.

    python3 scripts/ui_serve.py DIST PORT CONFIG_JSON

Files come from DIST unchanged, except /config.json, which is the given JSON: that
file is how an installation tells Mainsail and Fluidd where Moonraker is. Paths that
are not files get index.html (both UIs route in the browser). Prints "serving" once
it listens.
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class UIHandler(SimpleHTTPRequestHandler):
    config_json = b"{}"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.config_json)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(self.config_json)
            return
        if not Path(self.translate_path(path)).exists():
            self.path = "/index.html"
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    dist, port, config_json = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    UIHandler.config_json = config_json.encode()
    handler = functools.partial(UIHandler, directory=dist)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    print("serving", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
