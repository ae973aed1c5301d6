from __future__ import annotations

from django import template

from ponton.conversations.models import Conversation
from ponton.portal.services import PROGRESS_LABELS, progress

register = template.Library()


@register.inclusion_tag("portal/_progress.html")
def progress_badge(conversation: Conversation) -> dict[str, str]:
    """Where a request stands, in the customer's words."""
    key = progress(conversation)
    return {"key": key, "label": str(PROGRESS_LABELS[key])}
