"""What the realtime layer counts as it goes (open websockets, pushes the channel layer did
not take), for `/metrics` (ponton/ops/metrics.py) to expose.

Apart from the ops app on purpose: the consumers and the outbox count here without
depending on ops, which reads the conversations' tables."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge

WEBSOCKETS = Gauge(
    "ponton_websocket_connections",
    "Websockets open now, by consumer (inbox, conversation, chat).",
    ["consumer"],
    multiprocess_mode="livesum",
)
PUSH_FAILURES = Counter(
    "ponton_push_failures",
    "Realtime pushes the channel layer did not take (they stay in the outbox for the sweep).",
)


def socket_opened(consumer: Any) -> None:
    """Count an accepted websocket; `socket_closed` uncounts it once, whatever the path."""
    if getattr(consumer, "_ops_counted", None) is None:
        consumer._ops_counted = type(consumer).__name__.removesuffix("Consumer").lower()
        WEBSOCKETS.labels(consumer=consumer._ops_counted).inc()


def socket_closed(consumer: Any) -> None:
    kind = getattr(consumer, "_ops_counted", None)
    if kind is not None:
        consumer._ops_counted = None
        WEBSOCKETS.labels(consumer=kind).dec()
