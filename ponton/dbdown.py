"""While the database cannot be reached, answer 503 with `Retry-After` instead of a 500.

A dropped connection, a server restarting or a failover shows up as Django's
`OperationalError` or `InterfaceError`. Nothing was half-written: every write is a
transaction, so the client may simply send the same request again (with the same
idempotency key) after `Retry-After` seconds. API paths get the API's JSON error
shape; pages get a small page that needs neither the database nor Redis to render,
with a way to a person that does not depend on them either.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)
_LANGUAGE_PREFIX = re.compile(r"^/(fr|en)/")


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 for a request the database could not serve."""
    for connection in connections.all(initialized_only=True):
        # A broken connection is dropped now, so the next request opens a new one.
        connection.close_if_unusable_or_obsolete()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "detail": "The service is briefly unavailable; nothing was saved. "
                f"Send the same request again in {RETRY_AFTER_SECONDS} seconds.",
                "code": "unavailable",
                "errors": {},
            },
            status=503,
        )
    else:
        match = _LANGUAGE_PREFIX.match(request.path)
        language = match.group(1) if match else settings.LANGUAGE_CODE
        with translation.override(language):
            html = render_to_string(
                "503.html",
                {
                    "language": language,
                    "retry_after": RETRY_AFTER_SECONDS,
                    "support_email": settings.PONTON_SUPPORT_EMAIL,
                    "support_phone": settings.PONTON_SUPPORT_PHONE,
                },
            )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage met in a view into a 503 (`process_exception`); one met in
    another middleware reaches `server_error`, Django's 500 handler, which does the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        return unavailable(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: a 503 when the exception being handled is a database outage."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable(request)
    return defaults.server_error(request)
