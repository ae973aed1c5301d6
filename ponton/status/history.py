"""The status page's memory: the last 90 days per component, and the uptime they make.

Uptime counts the time an incident in progress touched the component: a major outage
in full, a partial outage at 30 % (part of the customers could not use it), degraded
performance not at all (it worked, slowly). Planned maintenance is not downtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from ponton.status.models import OPERATIONAL, SEVERITY, Component, Impact, Incident, Kind

DAYS = 90
DOWNTIME_WEIGHT: dict[str, float] = {Impact.MAJOR_OUTAGE: 1.0, Impact.PARTIAL_OUTAGE: 0.3}


@dataclass
class Day:
    day: date
    worst: str = OPERATIONAL


@dataclass
class ComponentHistory:
    component: Component
    uptime: float = 1.0
    days: list[Day] = field(default_factory=list)


def past_incidents(now: datetime, days: int = DAYS) -> list[Incident]:
    """Incidents that touched the window, newest first, with their components and updates."""
    since = now - timedelta(days=days)
    return list(
        Incident.objects.filter(kind=Kind.INCIDENT, started_at__lt=now)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .prefetch_related("components", "updates")
        .order_by("-started_at", "-pk")
    )


def component_history(
    incidents: list[Incident], now: datetime | None = None, days: int = DAYS
) -> list[ComponentHistory]:
    now = now or timezone.now()
    since = now - timedelta(days=days)
    today = timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    window = (now - since).total_seconds()
    result = []
    for component in Component.objects.all():
        history = ComponentHistory(
            component, days=[Day(first_day + timedelta(days=n)) for n in range(days)]
        )
        down = 0.0
        for incident in incidents:
            if component not in incident.components.all():
                continue
            start, end = max(incident.started_at, since), min(incident.resolved_at or now, now)
            if end <= start:
                continue
            down += (end - start).total_seconds() * DOWNTIME_WEIGHT.get(incident.impact, 0.0)
            day = max(timezone.localdate(start), first_day)
            while day <= timezone.localdate(end) and day <= today:
                cell = history.days[(day - first_day).days]
                if SEVERITY.index(incident.impact) > SEVERITY.index(cell.worst):
                    cell.worst = incident.impact
                day += timedelta(days=1)
        history.uptime = max(0.0, 1 - down / window) if window else 1.0
        result.append(history)
    return result
