"""``/metrics``: counters and gauges for Prometheus."""

from moontwist.services.metrics.service import MetricsService

__all__ = ["MetricsService"]
