"""What incidents cost and what telling customers early saved, per incident.

- *Contacts*: conversations about the incident (recognised by the assistant on any
  channel, `ponton.status.services.count_contact`), by channel.
- *Saw the notice*: sessions in which a page or the widget showed its banner.
- *Contacts avoided*: of those sessions, the ones with no contact after the notice (no
  handoff, contact request, message to us or conversation about it).
- *Notices sent*: incident emails delivered, proactive or asked for.
- *Time to first public update*: from the incident's start to its first update.

Read from the journey log and the incident's own records, for the incidents that touched
the period; a handful of incidents, bounded queries each.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Min, Q

from ponton.batches import batches
from ponton.insights.facts import ESCALATION_KINDS
from ponton.insights.periods import Period
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.status.models import Incident, IncidentContact, Kind, Notice

CONTACT_KINDS = frozenset({*ESCALATION_KINDS, EventKind.INCIDENT_CONTACT, EventKind.MESSAGE})
# A notice seen this long after the incident ended still counts (open tabs, late readers).
AFTER_END = timedelta(hours=24)


@dataclass
class IncidentFigures:
    incident: Incident
    contacts: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    saw_notice: int = 0
    avoided: int = 0
    notices_sent: int = 0
    first_update_seconds: float | None = None

    @property
    def avoided_rate(self) -> float | None:
        return self.avoided / self.saw_notice if self.saw_notice else None

    def as_dict(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "id": self.incident.pk,
            "title": self.incident.title(lang),
            "impact": self.incident.impact,
            "started_at": self.incident.started_at.isoformat(),
            "resolved_at": self.incident.resolved_at.isoformat()
            if self.incident.resolved_at
            else None,
            "contacts": self.contacts,
            "contacts_by_channel": self.by_channel,
            "sessions_saw_notice": self.saw_notice,
            "contacts_avoided": self.avoided,
            "notices_sent": self.notices_sent,
            "seconds_to_first_update": self.first_update_seconds,
        }


def _is_contact(kind: str, data: dict[str, Any]) -> bool:
    if kind == EventKind.MESSAGE:
        return data.get("author") == "customer"
    return kind in CONTACT_KINDS


def _avoided(incident: Incident, now: datetime) -> tuple[int, int]:
    """(sessions that saw the notice, of which without a contact afterwards)."""
    until = (incident.resolved_at or now) + AFTER_END
    seen: dict[Any, datetime] = {}
    for session, at in (
        JourneyEvent.objects.filter(
            kind=EventKind.INCIDENT_NOTICE_SEEN,
            occurred_at__gte=incident.started_at,
            occurred_at__lt=until,
            data__incident=incident.pk,
        )
        .order_by("occurred_at")
        .values_list("session_id", "occurred_at")
    ):
        seen.setdefault(session, at)
    contacted: set[Any] = set()
    for chunk in batches(sorted(seen)):
        for session, at, kind, data in JourneyEvent.objects.filter(
            session_id__in=chunk, kind__in=CONTACT_KINDS
        ).values_list("session_id", "occurred_at", "kind", "data"):
            if at >= seen[session] and _is_contact(kind, data):
                contacted.add(session)
    return len(seen), len(seen) - len(contacted)


def incident_figures(period: Period, *, now: datetime) -> list[IncidentFigures]:
    """Every incident that was open during the period, newest first."""
    incidents = list(
        Incident.objects.filter(kind=Kind.INCIDENT, started_at__lt=period.until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=period.since))
        .annotate(first_update=Min("updates__created_at"))
        .order_by("-started_at", "-pk")
    )
    ids = [i.pk for i in incidents]
    channels: dict[int, Counter[str]] = defaultdict(Counter)
    for incident_id, channel in IncidentContact.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "channel"
    ):
        channels[incident_id][channel] += 1
    sent = Counter(
        Notice.objects.filter(update__incident_id__in=ids, sent_at__isnull=False).values_list(
            "update__incident_id", flat=True
        )
    )
    figures = []
    for incident in incidents:
        saw, avoided = _avoided(incident, now)
        first = getattr(incident, "first_update", None)
        figures.append(
            IncidentFigures(
                incident=incident,
                contacts=sum(channels[incident.pk].values()),
                by_channel=dict(channels[incident.pk]),
                saw_notice=saw,
                avoided=avoided,
                notices_sent=sent[incident.pk],
                first_update_seconds=max(0.0, (first - incident.started_at).total_seconds())
                if first
                else None,
            )
        )
    return figures
