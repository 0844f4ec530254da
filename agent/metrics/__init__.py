"""Prometheus metrics of Frontdesk's processes.

The worker exposes them through livekit-agents' own Prometheus server (``AgentServer``'s
``prometheus_port``, multiprocess mode so its job processes' metrics are summed) when
``FRONTDESK_METRICS_PORT`` is set; the dispatcher serves them at ``/metrics``. The
metrics themselves are in :mod:`.registry`; :mod:`.call` feeds them from one call.
"""

from .call import CallMetrics
from .registry import (
    CALLS_ACTIVE,
    CALLS_REFUSED,
    CALLS_TOTAL,
    FALLBACKS,
    JOBS_REDISPATCHED,
    OUTBOX_BACKLOG,
    OUTBOX_RESULTS,
    STT_CONFIDENCE,
    TURN_LATENCY,
)

__all__ = [
    "CALLS_ACTIVE",
    "CALLS_REFUSED",
    "CALLS_TOTAL",
    "FALLBACKS",
    "JOBS_REDISPATCHED",
    "OUTBOX_BACKLOG",
    "OUTBOX_RESULTS",
    "STT_CONFIDENCE",
    "TURN_LATENCY",
    "CallMetrics",
]
