"""Give every browser an anonymous id so its journey can be followed: a visitor id kept
for a year when the visitor consented, a visit id that ends with the session otherwise
(see `ponton.journeys.consent`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ponton.journeys import consent
from ponton.journeys.consent import VISIT_COOKIE, VISITOR_COOKIE

__all__ = ["VISITOR_COOKIE", "VISIT_COOKIE", "VisitorMiddleware"]


class VisitorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        choice = consent.choice_of(request)
        consented = choice == consent.Choice.ACCEPTED
        cookie = request.COOKIES.get(VISITOR_COOKIE if consented else VISIT_COOKIE, "")
        is_new = not consent.valid_id(cookie)
        visitor_id = str(uuid.uuid4()) if is_new else cookie
        request.visitor_id = visitor_id  # type: ignore[attr-defined]
        request.visitor_is_new = is_new  # type: ignore[attr-defined]
        request.visitor_consented = consented  # type: ignore[attr-defined]
        request.consent_choice = choice  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.path.startswith(("/static/", "/api/")):
            return response
        if VISITOR_COOKIE in response.cookies or VISIT_COOKIE in response.cookies:
            return response  # the visitor just chose: the consent view set them
        if consented:
            if is_new:
                consent.keep_visitor(response, visitor_id)
        else:
            consent.keep_visit(response, visitor_id)
        return response
