"""The real opening hours, for any page."""

from __future__ import annotations

from typing import Any

from django import template

from ponton.conversations.calendars import cached_week_in_words

register = template.Library()


@register.simple_tag(takes_context=True)
def opening_hours(context: dict[str, Any]) -> str:
    """The default calendar's week in words (escaped by the template); "" on a page no URL
    matched (the 404 page): Django renders it on a thread of its own whose database
    connection nothing would close."""
    request = context.get("request")
    if request is not None and getattr(request, "resolver_match", None) is None:
        return ""
    return cached_week_in_words()
