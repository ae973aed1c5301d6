"""Request bodies are capped per endpoint before they are read (413).

The chat API takes a few kilobytes, a reply in the customer space takes its
files, everything else a little form or JSON. A declared length over the cap is
refused at once; under ASGI a body without a declared length (chunked) is read
only up to the cap.

The refusal is the API's JSON under /api/, and elsewhere the 413 page with its way to
a person, in the language of the path; made at the server's side, before Django, it
carries the site's Content-Security-Policy itself (django-csp's middleware never sees it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation

MEGABYTE = 1024 * 1024
# The customer space's reply form (ponton/portal/urls.py "request"): its files.
UPLOAD_PAGE = re.compile(r"^/(?:[a-z]{2}/)?account/requests/\d+/$")
CHAT_API = "/api/v1/chat/"


def limit_for(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    if path.startswith(CHAT_API):
        return int(settings.PONTON_CHAT_MAX_BODY_BYTES)
    if UPLOAD_PAGE.match(path):
        return int(settings.PONTON_UPLOAD_MAX_BODY_BYTES)
    return int(settings.PONTON_MAX_BODY_BYTES)


def too_large(path: str, limit: int) -> HttpResponse:
    if path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"The request body is larger than {limit} bytes."}, status=413
        )
    language = path.split("/")[1] if re.match(r"^/(fr|en)/", path) else settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string("413.html", {"megabytes": max(1, limit // MEGABYTE)})
    return HttpResponse(html, status=413)


def _too_large_outside_django(path: str, limit: int) -> HttpResponse:
    """`too_large` for the server's side: the page reads the database (the incident
    banner), whose connection is then treated as at the end of a request."""
    try:
        return too_large(path, limit)
    finally:
        close_old_connections()


def _declared_length(value: str | bytes | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class BodyLimitMiddleware:
    """Django's side: refuse a declared length over the cap before the body is touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request.META.get("CONTENT_LENGTH"))
        limit = limit_for(request.path)
        if length is not None and length > limit:
            return too_large(request.path, limit)
        return self.get_response(request)


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BodyLimitASGI:
    """The server's side, before Django buffers the body: refuse a declared length over
    the cap without reading it, and read a chunked body only up to the cap."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = limit_for(path)
        headers = dict(scope.get("headers") or [])
        length = _declared_length(headers.get(b"content-length"))
        if length is not None:
            if length > limit:
                await self._refuse(send, path, limit)
                return
            await self.app(scope, receive, send)
            return
        # No declared length: buffer up to the cap, then hand the messages on.
        messages: list[dict[str, Any]] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(send, path, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, path: str, limit: int) -> None:
        response = await sync_to_async(_too_large_outside_django)(path, limit)
        # No nonce: the 413 page runs no inline script, so the policy allows none.
        response[CSP_HEADER] = build_policy()
        response["Connection"] = "close"
        body = response.content
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in response.items()
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
