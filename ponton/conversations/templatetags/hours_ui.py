"""The real opening hours, for any page."""

from __future__ import annotations

from typing import Any

from django import template

from ponton.conversations.calendars import cached_week_in_words
from ponton.pages import may_read_database

register = template.Library()


@register.simple_tag(takes_context=True)
def opening_hours(context: dict[str, Any]) -> str:
    """The default calendar's week in words (escaped by the template); "" on the 404 page."""
    return cached_week_in_words() if may_read_database(context) else ""
