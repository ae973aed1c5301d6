"""The period and the filters every insight is computed for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from ponton.conversations.models import Conversation


def _midnight(day: date) -> datetime:
    """Local midnight of `day` (days are not all 24 hours long where clocks change)."""
    return timezone.make_aware(datetime(day.year, day.month, day.day))


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    def previous(self) -> Period:
        return Period(self.since - (self.until - self.since), self.since)

    @classmethod
    def last_days(cls, days: int, *, now: datetime | None = None) -> Period:
        """The `days` full days before today (local time): a day still under way
        would show as a drop in every trend."""
        now = now or timezone.now()
        today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(_midnight(today.date() - timedelta(days=days)), _midnight(today.date()))

    def days(self) -> list[date]:
        first = timezone.localtime(self.since).date()
        last = timezone.localtime(self.until - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Filters:
    """Channel and language of the session (where it entered, what it spoke),
    the customer's segment, and a team: the sessions of its conversations."""

    channel: str = ""
    language: str = ""
    segment: str = ""
    team: int | None = None

    def is_empty(self) -> bool:
        return not (self.channel or self.language or self.segment or self.team)

    def conversations(self, conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
        """`conversations` narrowed to these filters, read on the conversations themselves."""
        if self.channel:
            conversations = conversations.filter(channel=self.channel)
        if self.language:
            conversations = conversations.filter(language=self.language)
        if self.segment:
            conversations = conversations.filter(customer__profile__segment=self.segment)
        if self.team is not None:
            conversations = conversations.filter(team_id=self.team)
        return conversations


def conversations_of_team(team: int) -> set[int]:
    return set(Conversation.objects.filter(team_id=team).values_list("pk", flat=True))
