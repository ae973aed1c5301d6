"""WhatsApp and SMS on the agents' pages: the 24-hour window above the reply box."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from ponton.connectors.whatsapp import services as whatsapp

register = template.Library()


@register.simple_tag
def whatsapp_window(conversation: Any) -> dict[str, Any] | None:
    """Whether a reply can go out as written now (None: not a WhatsApp conversation)."""
    return whatsapp.window_notice(conversation, at=timezone.now())
