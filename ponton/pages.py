"""What a template tag may do while a page renders."""

from __future__ import annotations

from typing import Any


def may_read_database(context: Any) -> bool:
    """False on a page no URL matched (the 404 page): Django renders it on a thread of its own
    whose database connection nothing would close, so what it shows must come from nowhere
    else. True everywhere else, and outside a request."""
    request = context.get("request")
    return request is None or getattr(request, "resolver_match", None) is not None
