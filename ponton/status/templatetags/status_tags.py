"""What other apps' pages show of incidents, without importing status (apps import one
way): the banner of customer pages, the surge on the supervision page, and the inbox's
crisis groups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from ponton.journeys.models import EventKind
from ponton.journeys.services import record_request_event
from ponton.pages import may_read_database
from ponton.status import services
from ponton.status.models import IncidentContact

register = template.Library()
SEEN_SECONDS = 30 * 60  # one "saw the notice" per visitor and incident per session gap


def _lang() -> str:
    lang = (get_language() or "fr")[:2]
    return lang if lang in ("fr", "en") else "fr"


def _card(incident: services.LiveIncident, lang: str, now: datetime) -> dict[str, Any]:
    return {
        "id": incident.id,
        "impact": incident.impact,
        "maintenance": incident.is_maintenance,
        "title": incident.title(lang),
        "message": incident.latest(lang),
        "next_update": services.next_update_text(incident, now),
        "url": f"{reverse('status:page')}#incident-{incident.id}",
        "subscribe_url": f"{reverse('status:subscribe')}?incident={incident.id}",
    }


def _record_seen(request: Any, shown: list[services.LiveIncident]) -> None:
    """Log that this visitor saw the notice (contacts avoided are counted from it)."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_agent", False):
        return
    who = (
        f"c{user.pk}"
        if user is not None and user.is_authenticated
        else getattr(request, "visitor_id", "")
    )
    if not who:
        return
    for incident in shown:
        if not incident.is_maintenance and cache.add(
            f"status:seen:{incident.id}:{who}", 1, SEEN_SECONDS
        ):
            record_request_event(request, EventKind.INCIDENT_NOTICE_SEEN, {"incident": incident.id})


@register.inclusion_tag("status/_banner.html", takes_context=True)
def incident_banner(context: template.Context) -> dict[str, Any]:
    """The incidents that concern the visitor, with what is known, the next update, a way
    to be told when it is fixed, and the way to a person beside it."""
    if not may_read_database(context):  # the 404 page
        return {"banners": [], "crisis": False}
    request = context.get("request")
    user = getattr(request, "user", None)
    now = timezone.now()
    shown = services.banners_for(user, now)
    if shown and request is not None:
        _record_seen(request, shown)
    lang = _lang()
    return {
        "banners": [_card(i, lang, now) for i in shown],
        "crisis": any(i.crisis for i in shown if not i.is_maintenance),
    }


@register.inclusion_tag("status/_surge.html")
def incident_surge(now: datetime) -> dict[str, Any]:
    """Open incidents and the contacts they cause (the supervision page)."""
    lang = _lang()
    live = [i for i in services.live_incidents(now) if not i.is_maintenance]
    last_hour = services.contacts_since(now - timedelta(hours=1))
    return {
        "incidents": [
            {
                "id": i.id,
                "title": i.title(lang),
                "impact": i.impact,
                "contacts": i.contacts,
                "last_hour": last_hour.get(i.id, 0),
                "crisis": i.crisis,
            }
            for i in live
        ],
    }


@register.simple_tag
def incident_groups(conversations: Any) -> dict[str, Any]:
    """In crisis mode, the conversations about the incident set apart from the rest, so
    other customers' needs are not buried: {"groups": [(incident, [...])], "rest": [...]}.
    The items are conversations, or a list's rows that carry one (`row.conversation`)."""
    items = list(conversations)

    def pk(item: Any) -> int:
        return int(getattr(item, "conversation", item).pk)

    surging = services.crisis()
    if not surging or not items:
        return {"groups": [], "rest": items}
    lang = _lang()
    links = dict(
        IncidentContact.objects.filter(
            incident_id__in=[i.id for i in surging], conversation_id__in=[pk(c) for c in items]
        ).values_list("conversation_id", "incident_id")
    )
    groups = []
    for incident in surging:
        members = [c for c in items if links.get(pk(c)) == incident.id]
        if members:
            groups.append(
                (
                    {
                        "id": incident.id,
                        "title": incident.title(lang),
                        "url": reverse("status_manage:incident", args=[incident.id]),
                    },
                    members,
                )
            )
    return {"groups": groups, "rest": [c for c in items if pk(c) not in links]}
