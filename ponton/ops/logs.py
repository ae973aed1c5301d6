"""The request id every log line of a request carries, and what reads it.

The id comes from the reverse proxy's `X-Request-ID` when that proxy is one the
deployment trusts (PONTON_TRUSTED_PROXIES), else it is made here; the response
carries it back so a customer's report can be matched with the logs.
Imported by the logging configuration: standard library only.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("ponton_request_id", default="")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (empty outside a request). Django logs a 4xx
    after the middleware has finished, with the request attached: its id is read there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            attached = getattr(getattr(record, "request", None), "request_id", "")
            record.request_id = request_id.get() or attached
        return True
