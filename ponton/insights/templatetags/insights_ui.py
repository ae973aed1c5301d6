"""Numbers on the insights pages, written the way the page's language writes them."""

from __future__ import annotations

from django import template

from ponton.insights.dashboard import percent as as_percent

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A rate (0 to 1) as a percentage: "12,5 %" in French, "12.5 %" in English."""
    return as_percent(value)
