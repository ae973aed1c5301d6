"""Words for what the assistant detected, as agents read them."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from ponton import phones
from ponton.conversations.models import HandoffReason

register = template.Library()

SIGNALS = {
    "explicit_request": _("Asked for a person"),
    "anger": _("Anger or frustration"),
    "repeat_contact": _("Contacted us again"),
    "bereavement": _("Bereavement"),
    "vulnerability": _("Vulnerability"),
    "legal": _("Legal threat"),
    "complaint": _("Formal complaint"),
    "fraud_security": _("Fraud or security"),
    "critical_outage": _("Business-critical outage"),
    "negotiation": _("Negotiation or intent to leave"),
    "policy_topic": _("Topic kept for a person"),
}

EVENTS = {
    "page_view": _("Visited a page"),
    "search": _("Searched"),
    "search_click": _("Opened a search result"),
    "article_view": _("Read an article"),
    "article_feedback": _("Rated an article"),
    "contact_request": _("Asked to be contacted"),
    "message": _("Message"),
    "assistant_turn": _("Assistant answered"),
    "handoff": _("Handed to a person"),
    "selfcare_resolved": _("Solved in selfcare"),
    "selfcare_not_resolved": _("Selfcare did not solve it"),
    "selfcare_action": _("Used a selfcare action"),
    "assignment": _("Assigned"),
    "status_change": _("Status changed"),
    "survey_answer": _("Answered a survey"),
    "callback_request": _("Asked for a callback"),
    "voice_menu": _("Voice menu"),
    "call": _("Phone call"),
}


@register.filter
def signal_label(kind: str) -> str:
    return str(SIGNALS.get(kind, kind.replace("_", " ")))


@register.filter
def reason_label(reason: str) -> str:
    try:
        return str(HandoffReason(reason).label)
    except ValueError:
        return reason


@register.filter
def event_label(kind: str) -> str:
    return str(EVENTS.get(kind, kind.replace("_", " ")))


@register.filter
def phone(e164: str) -> str:
    """A stored number as people write it."""
    return phones.display(e164) if e164 else ""
