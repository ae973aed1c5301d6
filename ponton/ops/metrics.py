"""Metrics in the Prometheus text format (`/metrics`).

Two kinds, so that several app processes never disagree:
- what happens in a process (requests and their latency by view, messages and
  handoffs committed) is counted by that process. Under `ponton serve --workers N`
  set PROMETHEUS_MULTIPROC_DIR to an empty folder the processes share (emptied
  before each start): every process writes its counts there and `/metrics`
  answers with the sum of all of them, whichever process takes the scrape.
  Without it each process answers with its own counts (right for one process).
  Open websockets are a gauge summed over the live processes only: the files of a
  process that died are forgotten at the next scrape.
- what lives in the database (the durable task queue, the conversations waiting
  for a person in each team's queue, outbound deliveries, pushes left in the
  outbox) is read at each scrape, the same from every process.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
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
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from ponton.clientip import client_ip
from ponton.counters import PUSH_FAILURES, WEBSOCKETS, socket_closed, socket_opened

__all__ = [
    "CONTENT_TYPE_LATEST",
    "PUSH_FAILURES",
    "WEBSOCKETS",
    "socket_closed",
    "socket_opened",
]

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
        failed = GaugeMetricFamily(
            "ponton_tasks_failed",
            "Tasks that failed every attempt (kept, with their last error), by handler.",
            labels=["name"],
        )
        retrying = GaugeMetricFamily(
            "ponton_tasks_retrying",
            "Pending tasks that failed at least once and will be tried again, by handler.",
            labels=["name"],
        )
        troubled = (
            Task.objects.filter(
                Q(status=TaskStatus.FAILED) | Q(status=TaskStatus.PENDING, attempts__gt=0)
            )
            .values_list("name", "status")
            .annotate(n=Count("id"))
            .order_by("name", "status")
        )
        for name, status, n in troubled:
            (failed if status == TaskStatus.FAILED else retrying).add_metric([name], n)
        yield failed
        yield retrying


def task_queue_lag(now: datetime | None = None) -> float:
    """Seconds the oldest due task has waited for a worker (0 when none waits)."""
    from ponton.tasks.models import Task, TaskStatus

    now = now or timezone.now()
    oldest = Task.objects.filter(status=TaskStatus.PENDING, run_after__lte=now).aggregate(
        oldest=Min("run_after")
    )["oldest"]
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


class HumanQueueCollector(Collector):
    """Conversations waiting for a person, per team (its slug; "" is the queue of no team,
    which every agent sees), and how long the oldest has waited since it was handed off."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        from ponton.accounts.models import Team
        from ponton.conversations.models import Conversation, State

        now = self.now or timezone.now()
        waiting = GaugeMetricFamily(
            "ponton_queue_waiting",
            "Conversations waiting for a person, by team.",
            labels=["team"],
        )
        oldest = GaugeMetricFamily(
            "ponton_queue_oldest_wait_seconds",
            "How long the conversation waiting longest for a person has waited, by team.",
            labels=["team"],
        )
        rows = {
            team: (n, since)
            for team, n, since in Conversation.objects.filter(
                state=State.WAITING_HUMAN, merged_into__isnull=True
            )
            .values_list("team__slug")
            .annotate(n=Count("id"), since=Min(Coalesce("handed_off_at", "created_at")))
            .order_by()
        }
        for slug in ["", *Team.objects.order_by("slug").values_list("slug", flat=True)]:
            n, since = rows.get(slug or None, (0, None))
            waiting.add_metric([slug], n)
            oldest.add_metric([slug], max((now - since).total_seconds(), 0.0) if since else 0.0)
        yield waiting
        yield oldest


class DeliveriesCollector(Collector):
    """What left Ponton for elsewhere: outbound webhooks by status (dead letters included),
    messages sent by WhatsApp, SMS and email by their delivery status, and realtime pushes
    still in the outbox (Redis away, or a process died before publishing)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        from ponton.connectors.email.models import Direction as EmailDirection
        from ponton.connectors.email.models import EmailRecord
        from ponton.connectors.messaging.models import Direction, MessagingRecord
        from ponton.conversations.models import OutboxPush
        from ponton.webhooks.models import DeliveryStatus, WebhookDelivery

        now = self.now or timezone.now()
        webhooks = GaugeMetricFamily(
            "ponton_webhook_deliveries",
            "Outbound webhook deliveries, by status (dead: every attempt failed).",
            labels=["status"],
        )
        counts = dict(
            WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in DeliveryStatus.values:
            webhooks.add_metric([status], counts.get(status, 0))
        yield webhooks

        outbound = GaugeMetricFamily(
            "ponton_outbound_messages",
            "Messages sent to customers by WhatsApp, SMS or email, by channel and delivery status.",
            labels=["channel", "status"],
        )
        messaging = (
            MessagingRecord.objects.filter(direction=Direction.OUTBOUND)
            .values_list("channel", "delivery")
            .annotate(n=Count("id"))
            .order_by("channel", "delivery")
        )
        for channel, status, n in messaging:
            outbound.add_metric([channel, status], n)
        emails = (
            EmailRecord.objects.filter(direction=EmailDirection.OUTBOUND)
            .values_list("delivery")
            .annotate(n=Count("id"))
            .order_by("delivery")
        )
        for status, n in emails:
            outbound.add_metric(["email", status], n)
        yield outbound

        left = OutboxPush.objects.aggregate(n=Count("id"), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "ponton_push_outbox",
            "Realtime pushes not published yet (the sweep publishes them again).",
            value=left["n"],
        )
        age = (now - left["oldest"]).total_seconds() if left["oldest"] else 0.0
        yield GaugeMetricFamily(
            "ponton_push_outbox_oldest_seconds",
            "How long the oldest push in the outbox has waited.",
            value=max(age, 0.0),
        )


_LIVE_FILE = re.compile(r"gauge_live\w*_(\d+)\.db")


def forget_dead_processes(folder: str) -> None:
    """Drop the live gauges (open websockets) of processes that are gone, so a process that
    was killed does not count its sockets for ever. The folder is shared by the processes of
    one machine, so their ids are this machine's."""
    for path in Path(folder).glob("gauge_live*_*.db"):
        match = _LIVE_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, folder)
        except PermissionError:
            pass  # alive, under another user


def exposition(now: datetime | None = None) -> bytes:
    """The text a scrape receives: this process's (or all processes') counts, then the queue."""
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        forget_dead_processes(shared)
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        counted = generate_latest(processes)
    else:
        counted = generate_latest(REGISTRY)
    queue = CollectorRegistry(auto_describe=False)
    queue.register(TaskQueueCollector(now))
    queue.register(HumanQueueCollector(now))
    queue.register(DeliveriesCollector(now))
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
