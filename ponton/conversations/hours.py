"""Business hours, so the customer is told the truth about when a person answers.

The default business calendar (`calendars.default_schedule`: the one marked
default, with its holidays) decides; `DEFAULT_HOURS` are the hours used until
a deployment defines one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

# Monday=0 … Sunday=6 -> (opens, closes), used when no calendar is marked default.
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    **{day: (time(8), time(20)) for day in range(5)},
    5: (time(9), time(18)),
}


@dataclass(frozen=True)
class Availability:
    open_now: bool
    next_opening: datetime  # now, when open


def availability(now: datetime | None = None) -> Availability:
    from ponton.conversations import calendars  # calendars reads DEFAULT_HOURS from here

    schedule = calendars.default_schedule()
    at = now or timezone.now()
    return Availability(
        open_now=calendars.is_open(schedule, at),
        next_opening=calendars.next_opening(schedule, at),
    )
