"""One middleware, first in the chain: gives each request its id (logs, response header)
and counts it, with its latency, under the name of the view that answered."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from ponton.clientip import _trusted
from ponton.ops import metrics
from ponton.ops.logs import request_id

_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED = "unmatched"


def _id_for(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    if given and _VALID_ID.fullmatch(given) and _trusted(str(request.META.get("REMOTE_ADDR"))):
        return given
    return uuid.uuid4().hex


def _identify(request: HttpRequest) -> str:
    identifier = _id_for(request)
    request.request_id = identifier  # type: ignore[attr-defined]
    return identifier


def _record(request: HttpRequest, response: HttpResponseBase, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = (match.view_name or match.route) if match else UNMATCHED
    method = request.method if request.method in _METHODS else "other"
    metrics.REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
    metrics.REQUEST_SECONDS.labels(view=view, method=method).observe(time.perf_counter() - started)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ObservabilityMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        token = request_id.set(_identify(request))
        try:
            response: HttpResponseBase = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            _record(request, response, started)
            return response
        finally:
            request_id.reset(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        token = request_id.set(_identify(request))
        try:
            get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
            response = await get_response(request)
            response["X-Request-ID"] = request_id.get()
            _record(request, response, started)
            return response
        finally:
            request_id.reset(token)
