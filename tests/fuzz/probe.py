"""A client measuring ``server.info`` latency while an attack runs (figures, not assertions)."""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any


class LatencyProbe:
    """``GET /server/info`` every ``interval`` seconds on a keep-alive connection, in a thread."""

    def __init__(self, port: int, interval: float = 0.02) -> None:
        self.port = port
        self.interval = interval
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LatencyProbe":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                connection.request("GET", "/server/info")
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or b'"result"' not in body:
                    self.failures.append(f"{response.status}: {body[:100]!r}")
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            else:
                self.latencies.append(time.monotonic() - started)
            self._stop.wait(self.interval)
        connection.close()

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        if not ordered:
            return {"calls": 0, "failures": len(self.failures)}

        def percentile(share: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)

        return {"calls": len(ordered), "failures": len(self.failures), "p50_ms": percentile(0.5),
                "p99_ms": percentile(0.99), "max_ms": round(ordered[-1] * 1000, 2)}
