"""`Idempotency-Key` for the writes an agent's page or an integration may send again.

A write sent with a key runs once: its answer (status and body) is stored in the
write's own transaction, and the same key again gets that answer back, with
`Idempotent-Replayed: true`, whether the first request is finished or still
running (the second waits for it on the key's unique constraint, then reads its
answer). The same key with another request (method, path or body) is refused
with 422. Keys are per user and kept a day; only successful writes are stored,
a refused one may be corrected and sent again with its key.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ponton.conversations.models import IdempotentRequest
from ponton.tasks.services import register

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128
KEEP = timedelta(days=1)

PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]*$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) of at most 128 characters, chosen by the client for "
        "this write. Sent again with the same request, the write is not repeated: the "
        "first answer comes back (same status and body, header `Idempotent-Replayed: "
        "true`). The same key with a different request is refused with 422. Keys are "
        "kept for 24 hours."
    ),
)
RESPONSE_422 = OpenApiResponse(description="The idempotency key was used for another request.")


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method}\0{request.path}\0{body}".encode()).hexdigest()


def _key(request: Request) -> str:
    key = request.headers.get(HEADER, "")
    if key and (len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable()):
        raise ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} printable ASCII characters."]})
    return key


def _replay(first: IdempotentRequest, fingerprint: str) -> Response:
    if first.fingerprint != fingerprint:
        return Response(
            {
                "detail": "This idempotency key was already used for a different request.",
                "code": "idempotency_key_reused",
                "errors": {HEADER: ["Use a new key for a new request."]},
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(first.body, status=first.status)
    response["Idempotent-Replayed"] = "true"
    return response


View = Callable[..., Response]


def idempotent(method: View) -> View:
    """For an APIView's write handler: honour `Idempotency-Key` (see the module docstring)."""

    @functools.wraps(method)
    def handler(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _key(request)
        user_id = request.user.pk
        if not key or user_id is None:  # keys are per user; these writes need one
            return method(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        answers = IdempotentRequest.objects.filter(user_id=user_id, key=key)
        first = answers.first()
        if first is not None:
            return _replay(first, fingerprint)
        try:
            with transaction.atomic():
                response = method(view, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotentRequest.objects.create(
                        user_id=user_id,
                        key=key,
                        fingerprint=fingerprint,
                        status=response.status_code,
                        # As the client read it (the API's own rendering of dates and numbers).
                        body=json.loads(JSONRenderer().render(response.data)),
                    )
        except IntegrityError:
            # A twin with the same key committed first; this one's write was rolled back.
            first = answers.first()
            if first is None:
                raise
            return _replay(first, fingerprint)
        return response

    return handler


def forget_old(*, now: datetime | None = None) -> int:
    """Delete the answers older than a day; returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@register("conversations.forget_idempotency_keys", every=timedelta(hours=1))
def forget_idempotency_keys() -> None:
    forget_old()
