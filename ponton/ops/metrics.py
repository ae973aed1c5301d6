"""Metrics in the Prometheus text format (`/metrics`).

Two kinds, so that several app processes never disagree:
- what happens in a process (requests and their latency by view, messages and
  handoffs committed) is counted by that process. Under `ponton serve --workers N`
  set PROMETHEUS_MULTIPROC_DIR to an empty folder the processes share (emptied
  before each start): every process writes its counts there and `/metrics`
  answers with the sum of all of them, whichever process takes the scrape.
  Without it each process answers with its own counts (right for one process).
- what lives in the database (the durable task queue: tasks by status, the due
  ones, how late the oldest due one is) is read at each scrape, the same from
  every process.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ponton.clientip import client_ip

__all__ = ["CONTENT_TYPE_LATEST"]

REQUESTS = Counter(
    "ponton_http_requests",
    "HTTP requests answered, by view, method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "ponton_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MESSAGES = Counter("ponton_messages_created", "Messages committed, by author.", ["author"])
HANDOFFS = Counter("ponton_handoffs", "Conversations handed to a person (committed).")


def _message_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    counter = MESSAGES.labels(author=str(instance.author))
    transaction.on_commit(counter.inc)


def _event_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and instance.kind == "handoff":
        transaction.on_commit(HANDOFFS.inc)


def connect_signals() -> None:
    from ponton.conversations.models import Message
    from ponton.journeys.models import JourneyEvent

    post_save.connect(_message_saved, sender=Message, dispatch_uid="ops-metrics-message")
    post_save.connect(_event_saved, sender=JourneyEvent, dispatch_uid="ops-metrics-handoff")


class TaskQueueCollector(Collector):
    """The durable task queue (ponton/tasks), read from the database at each scrape."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        from ponton.tasks.models import Task, TaskStatus

        now = self.now or timezone.now()
        by_status = GaugeMetricFamily(
            "ponton_tasks", "Background tasks in the queue, by status.", labels=["status"]
        )
        counts = dict(Task.objects.values_list("status").annotate(n=Count("id")))
        for status in TaskStatus.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status
        due = Task.objects.filter(status=TaskStatus.PENDING, run_after__lte=now).aggregate(
            n=Count("id"), oldest=Min("run_after")
        )
        yield GaugeMetricFamily(
            "ponton_task_queue_due", "Pending tasks whose time has come.", value=due["n"]
        )
        lag = (now - due["oldest"]).total_seconds() if due["oldest"] else 0.0
        yield GaugeMetricFamily(
            "ponton_task_queue_lag_seconds",
            "How long the oldest due task has waited for a worker.",
            value=max(lag, 0.0),
        )


def exposition(now: datetime | None = None) -> bytes:
    """The text a scrape receives: this process's (or all processes') counts, then the queue."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        counted = generate_latest(processes)
    else:
        counted = generate_latest(REGISTRY)
    queue = CollectorRegistry(auto_describe=False)
    queue.register(TaskQueueCollector(now))
    return counted + generate_latest(queue)


def may_read(request: HttpRequest) -> bool:
    """With the bearer token PONTON_METRICS_TOKEN, or from PONTON_METRICS_ADDRESSES (the
    client behind the trusted proxies, so a proxy on this host opens nothing to others)."""
    token: str = settings.PONTON_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if given:
        scheme, _, value = given.partition(" ")
        return (
            bool(token)
            and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip().encode(), token.encode())
        )
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.PONTON_METRICS_ADDRESSES
    )
