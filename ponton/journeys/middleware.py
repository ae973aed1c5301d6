"""Give every browser a stable, anonymous visitor id so its journey can be followed."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

VISITOR_COOKIE = "ponton_visitor"
ONE_YEAR = 365 * 24 * 3600


def _valid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class VisitorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = request.COOKIES.get(VISITOR_COOKIE, "")
        is_new = not _valid(cookie)
        request.visitor_id = str(uuid.uuid4()) if is_new else cookie  # type: ignore[attr-defined]
        request.visitor_is_new = is_new  # type: ignore[attr-defined]
        response = self.get_response(request)
        if is_new and not request.path.startswith(("/static/", "/api/")):
            response.set_cookie(
                VISITOR_COOKIE,
                request.visitor_id,  # type: ignore[attr-defined]
                max_age=ONE_YEAR,
                httponly=True,
                samesite="Lax",
            )
        return response
