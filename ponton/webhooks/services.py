"""Outbound webhooks: endpoints, the events they subscribe to, and signed deliveries.

    emit("conversation.handed_off", {"id": 42, ...})   # from the services, inside their transaction

In the caller's transaction, each active endpoint subscribed to the event gets a
`WebhookDelivery` and a durable task: they commit with the change or not at all, so nothing
is sent for a change rolled back and a crash after the commit loses no delivery. A delivery
is signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the endpoint's `whsec_` secret;
during a rotation one signature per secret, space separated). A failed attempt is tried
again under the same `webhook-id` after `RETRY_DELAYS` (about a day in all), then the
delivery is a dead letter, shown to admins with its last error, until one replays it.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from ponton.tasks.services import enqueue
from ponton.webhooks import network
from ponton.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

TASK = "webhooks.deliver"
# After the first attempt: the first retry within a minute, then further apart (Standard
# Webhooks' suggested schedule), about 27 hours in all.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10.0
ROTATION_OVERLAP = timedelta(hours=24)
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# Endpoints ------------------------------------------------------------------------------------


def _clean_events(events: list[str]) -> list[str]:
    unknown = sorted({e for e in events if e not in Event.values})
    if unknown:
        raise ValidationError(
            {"events": _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}}
        )
    if not events:
        raise ValidationError({"events": _("Choose at least one event.")})
    return [e for e in Event.values if e in events]  # one copy each, in a stable order


def check_url(url: str) -> str:
    """The URL as stored, or a ValidationError that says what is wrong with it (malformed,
    or resolving to an address webhooks may not reach)."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": _("Enter a full URL starting with https://.")}) from None
    try:
        network.resolve(url)
    except network.RefusedAddress as error:
        raise ValidationError({"url": str(error)}) from None
    return url


@transaction.atomic
def create_endpoint(
    *, url: str, events: list[str], by: Any, description: str = ""
) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        url=check_url(url),
        events=_clean_events(events),
        description=description.strip()[:200],
        secret=new_secret(),
        created_by=by if getattr(by, "pk", None) else None,
    )


@transaction.atomic
def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    if url is not None:
        endpoint.url = check_url(url)
    if events is not None:
        endpoint.events = _clean_events(events)
    if description is not None:
        endpoint.description = description.strip()[:200]
    if active is not None:
        endpoint.active = active
    endpoint.save()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Its deliveries go with it: nothing is sent to it any more."""
    endpoint.delete()


@transaction.atomic
def rotate_secret(
    endpoint: WebhookEndpoint, *, overlap: timedelta = ROTATION_OVERLAP, now: datetime | None = None
) -> str:
    """A new secret; deliveries are also signed with the old one until `overlap` has passed,
    so the receiver can switch without losing any."""
    now = now or timezone.now()
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.previous_secret, locked.previous_secret_until = locked.secret, now + overlap
    locked.secret = new_secret()
    locked.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    endpoint.secret = locked.secret
    endpoint.previous_secret, endpoint.previous_secret_until = (
        locked.previous_secret,
        locked.previous_secret_until,
    )
    return locked.secret


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    keys = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and now < endpoint.previous_secret_until
    ):
        keys.append(endpoint.previous_secret)
    return keys


# Events ---------------------------------------------------------------------------------------


def body_for(event: str, data: dict[str, Any], at: datetime) -> str:
    return json.dumps(
        {"type": event, "timestamp": at.isoformat(), "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def emit(event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Tell the subscribed endpoints: one delivery, and its task, per active endpoint
    subscribed to `event`, written in the caller's transaction (see the module docstring)."""
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if event in e.events]
    if not endpoints:
        return []  # every message emits an event: no body is built when nobody listens
    body = body_for(event, data, timezone.now())
    deliveries = []
    # One transaction when called alone; no savepoint inside the caller's.
    with transaction.atomic(savepoint=False):
        for endpoint in endpoints:
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint,
                msg_id="msg_" + secrets.token_urlsafe(18),
                event=event,
                body=body,
                next_attempt_at=timezone.now(),
            )
            _schedule(delivery, delay=None)
            deliveries.append(delivery)
    return deliveries


def _schedule(delivery: WebhookDelivery, *, delay: timedelta | None) -> None:
    enqueue(TASK, delivery_id=delivery.pk, dedupe_key=f"webhook:{delivery.pk}", delay=delay)


# Sending --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str  # empty when ok; never the receiver's response body


def signed_headers(
    endpoint: WebhookEndpoint, *, msg_id: str, body: str, now: datetime
) -> dict[str, str]:
    stamp = now.astimezone(UTC)
    signatures = [
        Webhook(key).sign(msg_id=msg_id, timestamp=stamp, data=body)
        for key in signing_secrets(endpoint, now)
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "Ponton-Webhooks/1",
    }


def send(endpoint: WebhookEndpoint, *, msg_id: str, body: str, now: datetime) -> Outcome:
    """One signed POST, to the address resolved and checked now."""
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        target = network.resolve(endpoint.url)
        response = network.post(
            target,
            body=body.encode(),
            headers=signed_headers(endpoint, msg_id=msg_id, body=body, now=now),
            timeout=TIMEOUT_SECONDS,
        )
    except network.RefusedAddress as error:
        return Outcome(False, None, took(), str(error))
    except httpx.TimeoutException:
        return Outcome(
            False, None, took(), _("No answer within %(s)s seconds.") % {"s": int(TIMEOUT_SECONDS)}
        )
    except httpx.HTTPError as error:
        return Outcome(
            False,
            None,
            took(),
            _("Could not connect: %(error)s") % {"error": error or type(error).__name__},
        )
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(True, code, took(), "")
    if response.is_redirect:
        return Outcome(
            False, code, took(), _("HTTP %(code)s: redirects are not followed.") % {"code": code}
        )
    return Outcome(False, code, took(), _("HTTP %(code)s from the receiver.") % {"code": code})


def deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of a pending delivery (the task's work; a repeat after it ended does
    nothing); on failure the next attempt is scheduled, or after the last the delivery is
    a dead letter."""
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery
    endpoint = delivery.endpoint
    if not endpoint.active:
        outcome = Outcome(False, None, 0, _("The endpoint is disabled."))
    else:
        outcome = send(endpoint, msg_id=delivery.msg_id, body=delivery.body, now=now)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_error = outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            now,
            None,
        )
    elif delivery.attempts >= MAX_ATTEMPTS or not endpoint.active:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
        logger.warning(
            "Webhook %s to %s is a dead letter: %s", delivery.msg_id, endpoint.url, outcome.error
        )
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    with transaction.atomic():
        delivery.save()
        if delivery.status == DeliveryStatus.PENDING:
            assert delivery.next_attempt_at is not None
            _schedule(delivery, delay=delivery.next_attempt_at - timezone.now())
    return delivery


@transaction.atomic
def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, from a fresh retry schedule, under its own webhook-id (the
    receiver may already have it: that is what the id is for)."""
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status == DeliveryStatus.PENDING:
        return locked
    locked.status, locked.attempts = DeliveryStatus.PENDING, 0
    locked.next_attempt_at, locked.delivered_at = timezone.now(), None
    locked.save()
    _schedule(locked, delay=None)  # in this transaction: replayed if and only if committed
    return locked


def send_test(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> Outcome:
    """A signed `webhook.test` event sent at once: status and time taken, never the
    receiver's answer."""
    now = now or timezone.now()
    body = body_for(TEST_EVENT, {"endpoint": endpoint.pk}, now)
    return send(endpoint, msg_id="msg_" + secrets.token_urlsafe(18), body=body, now=now)


def outcome_text(outcome: Outcome) -> str:
    if outcome.ok:
        return _("Delivered: HTTP %(code)s in %(ms)s ms.") % {
            "code": outcome.status_code,
            "ms": outcome.duration_ms,
        }
    return _("Not delivered (%(ms)s ms): %(error)s") % {
        "ms": outcome.duration_ms,
        "error": outcome.error,
    }
