"""Cross-origin access for the widget embedded on the company's own sites.

Only the endpoints the widget calls answer other origins, and only those listed in
PONTON_WIDGET_ORIGINS (exact origins). The answer never allows credentials: the widget
proves who it is with its conversation token (and the host's identity hash), never with
our cookies, so another site can read nothing of a signed-in session. Every other
endpoint keeps the browser's same-origin rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# What the widget reads and writes: the chat, the notice of known incidents, the phone line.
WIDGET_PATHS = re.compile(
    r"^/api/v1/(?:chat/conversations(?:/\d+/messages)?|status/notice|voice/line)$"
)
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Accept, Content-Type, X-Conversation-Token"
PREFLIGHT_MAX_AGE = 600  # seconds a browser may keep the preflight's answer


def widget_origin(request: HttpRequest) -> str | None:
    """The request's Origin when it is one the widget may be embedded on."""
    origin = request.headers.get("Origin", "").lower()
    return origin if origin and origin in settings.PONTON_WIDGET_ORIGINS else None


class WidgetCorsMiddleware:
    """Answers CORS preflights and marks responses on the widget's endpoints only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not WIDGET_PATHS.match(request.path_info):
            return self.get_response(request)
        origin = widget_origin(request)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            # A preflight: answered here, before authentication, CSRF or throttles.
            response = HttpResponse(status=204)
            if origin is not None:
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        else:
            response = self.get_response(request)
        if origin is not None:
            response["Access-Control-Allow-Origin"] = origin
        # Caches must not hand one origin's answer to another.
        patch_vary_headers(response, ("Origin",))
        return response
