"""Business-hours arithmetic: when a service level's clock runs.

A calendar gives opening hours per weekday (local time of TIME_ZONE) and
holidays. Durations are counted in real elapsed minutes while open, so a
change to or from summer time neither adds nor loses an hour of work.

    add_business_minutes(calendar, start, 240)  # due time of a 4-hour target
    is_open(calendar, at)
    next_opening(calendar, at)

`calendar` is a `BusinessCalendar`, a `Schedule` already read from one (for
loops over many conversations), or None for the default calendar: the one
marked `is_default`, else the built-in hours of `DEFAULT_HOURS`.

`availability()` tells the customer the truth about when a person answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ponton.conversations.models import BusinessCalendar, Holiday

# A calendar with no opening for this long has none: stop looking.
HORIZON_DAYS = 400
# Monday=0 … Sunday=6 -> (opens, closes), used when no calendar is marked default.
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    **{day: (time(8), time(20)) for day in range(5)},
    5: (time(9), time(18)),
}

Interval = tuple[time, time | None]  # None: until midnight ("24:00")


@dataclass(frozen=True)
class Schedule:
    """A calendar read once: intervals per weekday (Monday=0) and holiday dates."""

    week: dict[int, list[Interval]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    name: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)


CalendarLike = BusinessCalendar | Schedule | None


def _parse_time(value: str) -> time | None:
    if value in ("24:00", "24:00:00"):
        return None
    return time.fromisoformat(value)


def _intervals(value: object) -> list[Interval]:
    """`["08:00", "20:00"]`, or several: `[["08:00", "12:00"], ["14:00", "18:00"]]`."""
    if not value:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError(f"Opening hours must be a list, got {value!r}")
    if all(isinstance(item, str) for item in value):
        value = [value]
    found: list[Interval] = []
    for item in value:
        opens, closes = item
        start = _parse_time(opens)
        if start is None:
            raise ValueError(f"A day cannot open at {opens!r}")
        found.append((start, _parse_time(closes)))
    return sorted(found, key=lambda interval: interval[0])


def schedule_of(calendar: BusinessCalendar) -> Schedule:
    """Read a calendar and its holidays (one query for the holidays)."""
    week = {day: _intervals((calendar.hours or {}).get(str(day))) for day in range(7)}
    holidays = frozenset(calendar.holidays.values_list("date", flat=True))
    return Schedule(week=week, holidays=holidays, name=calendar.name)


def built_in_schedule() -> Schedule:
    """The hours every deployment starts with (`DEFAULT_HOURS`), no holidays."""
    week: dict[int, list[Interval]] = {day: [] for day in range(7)}
    for day, (opens, closes) in DEFAULT_HOURS.items():
        week[day] = [(opens, closes)]
    return Schedule(week=week, name="built-in")


def default_calendar() -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(is_default=True).order_by("pk").first()


def default_schedule() -> Schedule:
    calendar = default_calendar()
    return schedule_of(calendar) if calendar is not None else built_in_schedule()


def as_schedule(calendar: CalendarLike) -> Schedule:
    if calendar is None:
        return default_schedule()
    if isinstance(calendar, Schedule):
        return calendar
    return schedule_of(calendar)


def _openings(schedule: Schedule, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The day's opening intervals as aware UTC datetimes (empty on a holiday)."""
    if day in schedule.holidays:
        return
    zone = schedule.zone
    for opens, closes in schedule.week.get(day.weekday(), []):
        start = datetime.combine(day, opens, tzinfo=zone)
        end = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            if closes is None
            else datetime.combine(day, closes, tzinfo=zone)
        )
        # Arithmetic on the same ZoneInfo is wall-clock; in UTC it is elapsed time.
        yield start.astimezone(UTC), max(start, end).astimezone(UTC)


def _days_from(schedule: Schedule, at: datetime) -> Iterator[date]:
    first = at.astimezone(schedule.zone).date() - timedelta(days=1)  # an interval may span midnight
    for offset in range(HORIZON_DAYS):
        yield first + timedelta(days=offset)


def is_open(calendar: CalendarLike, at: datetime) -> bool:
    schedule = as_schedule(calendar)
    at = at.astimezone(UTC)
    local_day = at.astimezone(schedule.zone).date()
    return any(
        start <= at < end
        for day in (local_day - timedelta(days=1), local_day)
        for start, end in _openings(schedule, day)
    )


def next_opening(calendar: CalendarLike, at: datetime) -> datetime:
    """`at` itself when open, else when the calendar opens next (local time)."""
    schedule = as_schedule(calendar)
    local = at.astimezone(schedule.zone)
    if is_open(schedule, at):
        return local
    moment = at.astimezone(UTC)
    for day in _days_from(schedule, at):
        for start, _end in _openings(schedule, day):
            if start > moment:
                return start.astimezone(schedule.zone)
    raise ValueError(f"The calendar {schedule.name!r} never opens")


def add_business_minutes(calendar: CalendarLike, start: datetime, minutes: float) -> datetime:
    """The moment `minutes` of open time have passed since `start` (local time)."""
    schedule = as_schedule(calendar)
    left = timedelta(minutes=minutes)
    moment = start.astimezone(UTC)
    if left <= timedelta():
        return moment.astimezone(schedule.zone)
    for day in _days_from(schedule, start):
        for opens, closes in _openings(schedule, day):
            if closes <= moment:
                continue
            begin = max(opens, moment)
            if begin + left <= closes:
                return (begin + left).astimezone(schedule.zone)
            left -= closes - begin
            moment = closes
    raise ValueError(f"The calendar {schedule.name!r} has too few opening hours")


def business_minutes_between(calendar: CalendarLike, start: datetime, end: datetime) -> float:
    """Open minutes from `start` to `end` (negative when `end` comes first)."""
    if end < start:
        return -business_minutes_between(calendar, end, start)
    schedule = as_schedule(calendar)
    total = timedelta()
    begin, finish = start.astimezone(UTC), end.astimezone(UTC)
    for day in _days_from(schedule, start):
        for opens, closes in _openings(schedule, day):
            if opens >= finish:
                return total.total_seconds() / 60
            overlap = min(closes, finish) - max(opens, begin)
            if overlap > timedelta():
                total += overlap
    return total.total_seconds() / 60


@dataclass(frozen=True)
class Availability:
    open_now: bool
    next_opening: datetime  # now, when open


def availability(now: datetime | None = None) -> Availability:
    """Whether advisors work now on the default calendar, and when they next do."""
    schedule = default_schedule()
    at = now or timezone.now()
    return Availability(open_now=is_open(schedule, at), next_opening=next_opening(schedule, at))


DASH = "\N{EN DASH}"


def week_in_words(calendar: CalendarLike = None) -> str:
    """The opening hours in one sentence of the active language, days with the same hours
    together: "Monday to Friday 08:00-20:00, Saturday 09:00-18:00" (with en dashes)."""
    week = as_schedule(calendar).week

    def hours(day: int) -> str:
        return ", ".join(
            f"{opens:%H:%M}{DASH}{closes:%H:%M}" if closes else f"{opens:%H:%M}{DASH}24:00"
            for opens, closes in week.get(day, [])
        )

    parts: list[str] = []
    day = 0
    while day < 7:
        if not week.get(day):
            day += 1
            continue
        last = day
        while last + 1 < 7 and hours(last + 1) == hours(day):
            last += 1
        names = (
            str(WEEKDAYS[day])
            if last == day
            else _("%(first)s to %(last)s") % {"first": WEEKDAYS[day], "last": WEEKDAYS[last]}
        )
        parts.append(f"{names} {hours(day)}")
        day = last + 1
    return ", ".join(parts)


_HOURS_CACHE = "opening-hours:{lang}"


def cached_week_in_words() -> str:
    """`week_in_words()` of the default calendar, kept in the cache: every customer page tells
    the opening hours, and the calendar rarely changes (a change forgets it at once)."""
    lang = (get_language() or "fr")[:2]
    return str(cache.get_or_set(_HOURS_CACHE.format(lang=lang), week_in_words, 300))


@receiver([post_save, post_delete], sender=BusinessCalendar)
@receiver([post_save, post_delete], sender=Holiday)
def _forget_hours(**_kwargs: object) -> None:
    cache.delete_many([_HOURS_CACHE.format(lang=lang) for lang, _name in settings.LANGUAGES])
