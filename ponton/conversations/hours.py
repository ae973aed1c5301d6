"""Business hours, so the customer is told the truth about when a person answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# Monday=0 … Sunday=6 -> (opens, closes). Issue-level SLA calendars replace this later.
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    **{day: (time(8), time(20)) for day in range(5)},
    5: (time(9), time(18)),
}


@dataclass(frozen=True)
class Availability:
    open_now: bool
    next_opening: datetime  # now, when open


def availability(now: datetime | None = None) -> Availability:
    zone = ZoneInfo(settings.TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    hours = DEFAULT_HOURS.get(local.weekday())
    if hours and hours[0] <= local.time() < hours[1]:
        return Availability(open_now=True, next_opening=local)
    for days_ahead in range(0, 8):
        day = local.date() + timedelta(days=days_ahead)
        hours = DEFAULT_HOURS.get(day.weekday())
        if not hours:
            continue
        opening = datetime.combine(day, hours[0], tzinfo=zone)
        if opening > local:
            return Availability(open_now=False, next_opening=opening)
    raise RuntimeError("No opening hours configured")  # pragma: no cover
