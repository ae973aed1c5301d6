"""Words for what the assistant detected, as agents read them, and the small
pieces every staff page shows (mentions waiting, availability)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from ponton import phones
from ponton.accounts.models import Availability
from ponton.accounts.models import segment_label as name_of_segment
from ponton.conversations.models import ConversationChannel, HandoffReason

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


@register.simple_tag
def unseen_mentions(user: Any) -> int:
    """How many notes name this staff member that they have not opened yet."""
    from ponton.workspace.services import unseen_mentions as count

    return count(user) if getattr(user, "is_agent", False) else 0


@register.simple_tag
def availabilities() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Availability.choices]


@register.filter
def channel_label(channel: str) -> str:
    try:
        return str(ConversationChannel(channel).label)
    except ValueError:
        return channel


@register.filter
def waited(since: datetime | None, now: datetime | None = None) -> str:
    """A short, exact-enough wait: "45 s", "12 min", "3 h", "2 d"."""
    if since is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - since).total_seconds()))
    if seconds < 60:
        return gettext_now("%(n)s s") % {"n": seconds}
    if seconds < 3600:
        return gettext_now("%(n)s min") % {"n": seconds // 60}
    if seconds < 48 * 3600:
        return gettext_now("%(n)s h") % {"n": seconds // 3600}
    return gettext_now("%(n)s d") % {"n": formats.number_format(seconds // 86400)}


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "").replace("@", " ").split() if p[:1].isalnum()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def segment_label(segment: str) -> str:
    return name_of_segment(segment or "")


@register.filter
def phone(e164: str) -> str:
    """A stored number as people write it."""
    return phones.display(e164) if e164 else ""
