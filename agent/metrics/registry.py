"""Every Frontdesk metric, defined once (prometheus_client's default registry).

In a worker's job process these are written to ``PROMETHEUS_MULTIPROC_DIR`` (set by
livekit-agents before it starts its processes), so the worker's ``/metrics`` sums them
over all its calls; elsewhere they live in the process.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# seconds: from tens of milliseconds (a decode) to a slow turn
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)

CALLS_ACTIVE = Gauge(
    "frontdesk_calls_active",
    "Calls in progress",
    ["tenant", "source"],
    multiprocess_mode="livesum",
)
CALLS_TOTAL = Counter(
    "frontdesk_calls",
    "Calls started, by tenant and how they came in",
    ["tenant", "source"],
)
CALLS_REFUSED = Counter(
    "frontdesk_calls_refused",
    "Calls refused before they started (unknown tenant, invalid configuration, error)",
    ["reason"],
)
TURN_LATENCY = Histogram(
    "frontdesk_turn_latency_seconds",
    "Parts of a turn's latency as livekit measured them (e2e_latency: the caller's last "
    "word to the agent's first sound)",
    ["part"],
    buckets=LATENCY_BUCKETS,
)
STT_CONFIDENCE = Histogram(
    "frontdesk_stt_confidence",
    "Recognizer confidence of the caller's turns",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
FALLBACKS = Counter(
    "frontdesk_provider_availability_changes",
    "A provider in a fallback chain became unavailable (fallback taken) or available again",
    ["kind", "provider", "available"],
)
JOBS_REDISPATCHED = Counter(
    "frontdesk_jobs_redispatched",
    "Calls whose agent died mid-call, dispatched again to resume them, by who noticed "
    "(worker: its job process exited abnormally; dispatcher: LiveKit's participant_left)",
    ["by"],
)
OUTBOX_RESULTS = Counter(
    "frontdesk_outbox_results",
    "Notification delivery attempts, by channel and result (delivered, retry, failed)",
    ["channel", "result"],
)
OUTBOX_BACKLOG = Gauge(
    "frontdesk_outbox_notifications",
    "Notifications in the outbox by status (read from the store when scraped)",
    ["status"],
    multiprocess_mode="max",
)
