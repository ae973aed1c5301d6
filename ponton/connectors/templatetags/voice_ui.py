"""The phone in templates: the support line on customer pages, calls and callbacks on the
agents' pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from ponton.connectors.voice import callbacks, calls, line
from ponton.connectors.voice.models import Call, Outcome
from ponton.knowledge.models import Category
from ponton.pages import may_read_database

register = template.Library()


@register.simple_tag(takes_context=True)
def support_line(context: dict[str, Any]) -> line.SupportLine | None:
    """The number, hours and wait to show; None (show nothing) when no number is set.

    On the 404 page, the number alone, without hours and wait."""
    return line.support_line(live=may_read_database(context))


@register.simple_tag
def call_records(conversation: Any) -> list[Call]:
    return calls.calls_of(conversation.pk)


@register.simple_tag(takes_context=True)
def due_callbacks(context: dict[str, Any]) -> list[Any]:
    user = context["request"].user
    return list(callbacks.due_callbacks(user)[:20])


@register.simple_tag(takes_context=True)
def can_click_to_call(context: dict[str, Any]) -> bool:
    return callbacks.can_click_to_call(context["request"].user)


@register.simple_tag
def call_reasons() -> list[tuple[str, str]]:
    """What a call can be about: the help center's categories."""
    language = (get_language() or "fr")[:2]
    return [(c.slug, c.name(language)) for c in Category.objects.order_by("position", "slug")]


@register.filter
def call_duration(seconds: int | None) -> str:
    return calls.duration_text(seconds)


@register.filter
def call_outcome(value: str) -> str:
    try:
        return str(Outcome(value).label)
    except ValueError:
        return value
