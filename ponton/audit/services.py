"""Writing the audit log: one function, `record`, called wherever something is done
that an administrator may have to account for.

`record` takes the actor and the client's address from the request it is given,
or from the request being served (set by `CurrentRequestMiddleware`), so signal
receivers deep in a save know who is acting. Details are plain JSON and never
carry the personal data of customers (ids and counts, not names or addresses).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from ponton.audit.models import Action, AuditEntry
from ponton.clientip import client_ip

SYSTEM = "system"  # the label of what no signed-in person did (commands, tasks)

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

Target = models.Model | tuple[str, Any] | None


def current_request() -> HttpRequest | None:
    return _current_request.get()


class CurrentRequestMiddleware:
    """Makes the request being served known to `record` (signals carry no request)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _target(target: Target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    kind, key = target
    return str(kind), "" if key is None else str(key)


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def record(
    action: str | Action,
    *,
    actor: Any = None,
    actor_label: str = "",
    target: Target = None,
    request: HttpRequest | None = None,
    at: datetime | None = None,
    **details: Any,
) -> AuditEntry:
    """Append one entry. `actor` defaults to the signed-in user of `request` (or of
    the request being served); `actor_label` names who acted when no account does."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    request = request if request is not None else current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and getattr(actor, "pk", None) is None:
        actor = None  # an anonymous user, or an account not saved
    label = actor_label or (actor.get_username() if actor is not None else SYSTEM)
    kind, key = _target(target)
    fields: dict[str, Any] = {
        "actor": actor,
        "actor_label": label[:150],
        "action": str(action),
        "target_type": kind[:40],
        "target_id": key[:64],
        "client_address": _address(request),
        # Round-trip through JSON: dates, decimals and lazy strings become plain values.
        "details": json.loads(json.dumps(details, cls=DjangoJSONEncoder)),
    }
    if at is not None:
        fields["at"] = at
    return AuditEntry.objects.create(**fields)


def conversation_viewed(
    request: HttpRequest | None, conversation: Any, *, page: str, **details: Any
) -> AuditEntry:
    """A staff read of a conversation's customer data: the one entry every page, API
    operation and download that shows some writes."""
    return record(
        Action.CUSTOMER_VIEWED,
        target=conversation,
        request=request,
        page=page,
        customer=conversation.customer_id,
        **details,
    )


def entries(*, since: datetime | None = None) -> Iterator[AuditEntry]:
    """The log in the order it was written, from `since` on."""
    selected = AuditEntry.objects.order_by("at", "id")
    if since is not None:
        selected = selected.filter(at__gte=since)
    return selected.iterator(chunk_size=2000)


def forget_person(*, user_id: int | None, labels: Iterable[str]) -> int:
    """Part of a customer's erasure: entries naming them keep what happened but say
    `erased-ID` instead of their username or email, and no client address. The one
    change to the log the application makes (the queryset's guard is passed on purpose)."""
    replacement = f"erased-{user_id}" if user_id is not None else "erased"
    condition = models.Q(pk__in=[])
    if user_id is not None:
        condition |= models.Q(actor_id=user_id)
    for label in {label.strip() for label in labels if label and label.strip()}:
        condition |= models.Q(actor_label__iexact=label)
    concerned = AuditEntry.objects.filter(condition)
    return models.QuerySet.update(concerned, actor_label=replacement, client_address=None)


def purge_before(cutoff: datetime) -> int:
    """Retention (`ponton purge`, PONTON_RETENTION_AUDIT_DAYS): entries older than
    `cutoff` are deleted, nothing else ever is. `AuditQuerySet.delete` refuses on
    purpose, so this goes one level down (`_raw_delete`: one DELETE, no signals and
    no guard); it is the one deletion of the log the application makes."""
    old = AuditEntry.objects.filter(at__lt=cutoff)
    return int(old._raw_delete(old.db))
