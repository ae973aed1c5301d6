"""The measured quantities of DESIGN.md over a period, from the journey log.

Session quantities add up (counts and exact integer sums), so a period is
computed as the rolled-up settled sessions (`SessionFact`, one SQL
aggregate) plus the recent sessions computed directly from the events; the
two paths use the same definitions (`facts.py`) and give identical figures.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ponton.accounts.models import CustomerProfile
from ponton.conversations.models import Conversation
from ponton.insights import facts as definitions
from ponton.insights.facts import EVENT_FIELDS, EventRow, SessionFacts
from ponton.insights.models import RollupState, SessionConversation, SessionFact
from ponton.journeys.models import EventKind, JourneyEvent

# A session is settled once nothing can change its facts: no event can join it
# (30 minutes) and its 72-hour follow-up window is over. A day of slack covers
# long sessions.
SETTLED_AFTER = definitions.FOLLOW_UP + timedelta(days=1)
CHUNK = 5000
Source = Literal["auto", "direct", "rollup"]


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    def previous(self) -> Period:
        return Period(self.since - (self.until - self.since), self.since)

    @classmethod
    def last_days(cls, days: int, *, now: datetime | None = None) -> Period:
        """The `days` full days before today (local time), today included up to now."""
        now = now or timezone.now()
        today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(today - timedelta(days=days - 1), today + timedelta(days=1))

    def days(self) -> list[date]:
        first = timezone.localtime(self.since).date()
        last = timezone.localtime(self.until - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Filters:
    channel: str = ""
    language: str = ""
    segment: str = ""

    def is_empty(self) -> bool:
        return not (self.channel or self.language or self.segment)


@dataclass
class Totals:
    """The additive counts behind the session quantities."""

    sessions: int = 0
    searched: int = 0
    read_article: int = 0
    used_assistant: int = 0
    handed_off: int = 0
    attempts: int = 0
    deflected: int = 0
    resolved: int = 0
    escalated: int = 0
    microseconds_to_escalation: int = 0
    handoffs: int = 0
    wall_handoffs: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def add(self, item: SessionFacts) -> None:
        self.sessions += 1
        self.searched += item.searched
        self.read_article += item.read_article
        self.used_assistant += item.used_assistant
        self.handed_off += item.handed_off
        self.handoffs += item.handoffs
        self.wall_handoffs += item.wall_handoffs
        if item.selfcare_attempt:
            self.attempts += 1
            self.deflected += not item.followed_by_contact
            self.resolved += item.resolved
            if item.escalated:
                self.escalated += 1
                self.microseconds_to_escalation += item.microseconds_to_escalation

    def quantities(self) -> dict[str, Any]:
        attempts = self.attempts
        return {
            "sessions": self.sessions,
            "selfcare_attempts": attempts,
            "selfcare_usage_rate": _rate(attempts, self.sessions),
            "deflection_rate": _rate(self.deflected, attempts),
            "autonomous_resolution_rate": _rate(self.resolved, attempts),
            "escalation_rate_after_selfcare": _rate(self.escalated, attempts),
            "escalated_sessions": self.escalated,
            "mean_seconds_before_escalation": (
                self.microseconds_to_escalation / self.escalated / 1_000_000
                if self.escalated
                else None
            ),
            "handoffs": self.handoffs,
            "wall_handoffs": self.wall_handoffs,
            "wall_index": _rate(self.wall_handoffs, self.handoffs),
        }

    def funnel(self) -> dict[str, int]:
        return {
            "visit": self.sessions,
            "search": self.searched,
            "article": self.read_article,
            "assistant": self.used_assistant,
            "resolved": self.resolved,
            "handed_off": self.handed_off,
        }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# Direct computation from the journey log -----------------------------------------------


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows(queryset: QuerySet[JourneyEvent]) -> Iterator[EventRow]:
    return queryset.values_list(*EVENT_FIELDS).iterator(chunk_size=CHUNK)


def direct_facts(since: datetime, until: datetime) -> list[SessionFacts]:
    """Facts of the sessions that started in [since, until), from their events."""
    rows = list(_rows(JourneyEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until)))
    sessions = list({row[1] for row in rows})
    started_before: set[uuid.UUID] = set()
    for chunk in _chunks(sessions):
        outside = JourneyEvent.objects.filter(session_id__in=chunk).filter(
            Q(occurred_at__lt=since) | Q(occurred_at__gte=until)
        )
        for row in _rows(outside):
            if row[2] < since:
                started_before.add(row[1])
            else:
                rows.append(row)
    rows = [row for row in rows if row[1] not in started_before]
    if not rows:
        return []
    conversations = sorted(
        {
            c
            for row in rows
            if row[3] == EventKind.HANDOFF
            and (c := definitions.conversation_of(row[8])) is not None
        }
    )
    handoffs: list[EventRow] = []
    for chunk in _chunks(conversations):
        handoffs.extend(
            _rows(
                JourneyEvent.objects.filter(
                    kind=EventKind.HANDOFF, data__conversation__in=chunk
                ).order_by()
            )
        )
    handoffs += [
        row
        for row in rows
        if row[3] == EventKind.HANDOFF and definitions.conversation_of(row[8]) is None
    ]
    handoffs = sorted({row[0]: row for row in handoffs}.values(), key=lambda r: (r[2], r[0]))
    walls = definitions.wall_handoff_ids(handoffs)
    first_selfcare = min(
        (row[2] for row in rows if definitions.is_selfcare(row[3], row[8])), default=None
    )
    contact_rows: Iterable[EventRow] = []
    if first_selfcare is not None:
        last_event = max(row[2] for row in rows)
        contact_rows = _rows(
            JourneyEvent.objects.filter(
                kind__in=definitions.ESCALATION_KINDS,
                occurred_at__gte=first_selfcare,
                occurred_at__lte=last_event + definitions.FOLLOW_UP,
            ).order_by()
        )
    contacts = definitions.ContactTimes(contact_rows)
    return definitions.build_facts(rows, walls=walls, contacts=contacts)


def _segments(customer_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(customer_ids))
    segments: dict[int, str] = {}
    for chunk in _chunks(ids):
        segments.update(
            CustomerProfile.objects.filter(user_id__in=chunk).values_list("user_id", "segment")
        )
    return segments


def _matching(items: list[SessionFacts], filters: Filters) -> list[SessionFacts]:
    if filters.channel:
        items = [f for f in items if f.channel == filters.channel]
    if filters.language:
        items = [f for f in items if f.language == filters.language]
    if filters.segment:
        segments = _segments(f.customer_id for f in items if f.customer_id is not None)
        items = [
            f
            for f in items
            if f.customer_id is not None and segments.get(f.customer_id) == filters.segment
        ]
    return items


def _local_day(at: datetime) -> date:
    return timezone.localtime(at).date()


def direct_totals(period: Period, filters: Filters) -> tuple[Totals, dict[date, Totals]]:
    total = Totals()
    daily: dict[date, Totals] = defaultdict(Totals)
    for item in _matching(direct_facts(period.since, period.until), filters):
        total.add(item)
        daily[_local_day(item.started_at)].add(item)
    return total, dict(daily)


# The rollup --------------------------------------------------------------------------


def _aggregates() -> dict[str, Any]:
    """Named `total_<field>`: an aggregate may not share a name with a column."""
    attempt = Q(selfcare_attempt=True)
    aggregates: dict[str, Any] = {
        "sessions": Count("pk"),
        "searched": Count("pk", filter=Q(searched=True)),
        "read_article": Count("pk", filter=Q(read_article=True)),
        "used_assistant": Count("pk", filter=Q(used_assistant=True)),
        "handed_off": Count("pk", filter=Q(handed_off=True)),
        "attempts": Count("pk", filter=attempt),
        "deflected": Count("pk", filter=attempt & Q(followed_by_contact=False)),
        "resolved": Count("pk", filter=attempt & Q(resolved=True)),
        "escalated": Count("pk", filter=attempt & Q(escalated=True)),
        "microseconds_to_escalation": Sum(
            "microseconds_to_escalation", filter=attempt & Q(escalated=True)
        ),
        "handoffs": Sum("handoffs"),
        "wall_handoffs": Sum("wall_handoffs"),
    }
    return {f"total_{name}": aggregate for name, aggregate in aggregates.items()}


def _totals(values: dict[str, Any]) -> Totals:
    return Totals(**{f.name: int(values.get(f"total_{f.name}") or 0) for f in fields(Totals)})


def _rolled_up(period: Period, filters: Filters) -> QuerySet[SessionFact]:
    facts = SessionFact.objects.filter(started_at__gte=period.since, started_at__lt=period.until)
    if filters.channel:
        facts = facts.filter(channel=filters.channel)
    if filters.language:
        facts = facts.filter(language=filters.language)
    if filters.segment:
        facts = facts.filter(
            customer_id__in=CustomerProfile.objects.filter(segment=filters.segment).values(
                "user_id"
            )
        )
    return facts


def rollup_totals(period: Period, filters: Filters) -> tuple[Totals, dict[date, Totals]]:
    facts = _rolled_up(period, filters)
    total = _totals(facts.aggregate(**_aggregates()))
    daily = {
        row["day"]: _totals(row)
        for row in facts.annotate(
            day=TruncDate("started_at", tzinfo=timezone.get_current_timezone())
        )
        .order_by()
        .values("day")
        .annotate(**_aggregates())
    }
    return total, daily


def rolled_until() -> datetime | None:
    return (
        RollupState.objects.filter(name="sessions").values_list("rolled_until", flat=True).first()
    )


def session_totals(
    period: Period, filters: Filters, *, source: Source = "auto"
) -> tuple[Totals, dict[date, Totals]]:
    """The period's session counts, overall and per local day."""
    if source == "direct":
        return direct_totals(period, filters)
    if source == "rollup":
        return rollup_totals(period, filters)
    watermark = rolled_until()
    if watermark is None or watermark <= period.since:
        return direct_totals(period, filters)
    if watermark >= period.until:
        return rollup_totals(period, filters)
    old, old_daily = rollup_totals(Period(period.since, watermark), filters)
    new, new_daily = direct_totals(Period(watermark, period.until), filters)
    daily = dict(old_daily)
    for day, totals in new_daily.items():
        daily[day] = daily.get(day, Totals()) + totals
    return old + new, daily


@transaction.atomic
def _replace_facts(since: datetime, until: datetime) -> int:
    SessionFact.objects.filter(started_at__gte=since, started_at__lt=until).delete()
    items = direct_facts(since, until)
    SessionFact.objects.bulk_create(
        [
            SessionFact(
                session_id=f.session_id,
                started_at=f.started_at,
                ended_at=f.ended_at,
                channel=f.channel,
                language=f.language,
                customer_id=f.customer_id,
                events=f.events,
                searched=f.searched,
                read_article=f.read_article,
                used_assistant=f.used_assistant,
                selfcare_attempt=f.selfcare_attempt,
                resolved=f.resolved,
                escalated=f.escalated,
                handed_off=f.handed_off,
                followed_by_contact=f.followed_by_contact,
                microseconds_to_escalation=f.microseconds_to_escalation,
                handoffs=f.handoffs,
                wall_handoffs=f.wall_handoffs,
            )
            for f in items
        ],
        batch_size=CHUNK,
    )
    SessionConversation.objects.bulk_create(
        [
            SessionConversation(session_id=f.session_id, conversation_id=c)
            for f in items
            for c in sorted(f.conversations)
        ],
        batch_size=CHUNK,
    )
    RollupState.objects.update_or_create(name="sessions", defaults={"rolled_until": until})
    return len(items)


def roll_up(*, until: datetime | None = None, now: datetime | None = None) -> int:
    """Roll up the sessions settled by `until` (default: now less the settling time),
    a day at a time from where the rollup stopped; idempotent. Returns the sessions written."""
    limit = until or (now or timezone.now()) - SETTLED_AFTER
    start = rolled_until()
    if start is None:
        first = (
            JourneyEvent.objects.order_by("occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if first is None:
            return 0
        start = timezone.localtime(first).replace(hour=0, minute=0, second=0, microsecond=0)
    written = 0
    while start < limit:
        end = min(start + timedelta(days=1), limit)
        written += _replace_facts(start, end)
        start = end
    return written


def reset_rollup() -> None:
    """Forget the rollup (after history was rewritten, e.g. loaded in the past)."""
    with transaction.atomic():
        SessionConversation.objects.all().delete()
        SessionFact.objects.all().delete()
        RollupState.objects.filter(name="sessions").delete()


def as_dict(period: Period, filters: Filters) -> dict[str, Any]:
    return {
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "filters": {k: v for k, v in asdict(filters).items() if v},
    }


# Surveys -------------------------------------------------------------------------------

SURVEY_ANSWER = "survey_answer"
NPS_PROMOTER = 9
NPS_DETRACTOR = 6


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def survey_quantities(period: Period, filters: Filters) -> dict[str, Any]:
    """CSAT after selfcare and after a person (1 to 5), NPS (-100 to 100) and CES (1 to 7,
    7 = very easy) from the answers given in the period."""

    answers = list(
        JourneyEvent.objects.filter(
            kind=SURVEY_ANSWER, occurred_at__gte=period.since, occurred_at__lt=period.until
        ).values_list("customer_id", "language", "data")
    )
    if filters.language:
        answers = [a for a in answers if a[1] == filters.language]
    if filters.segment:
        segments = _segments(a[0] for a in answers if a[0] is not None)
        answers = [a for a in answers if a[0] is not None and segments.get(a[0]) == filters.segment]
    if filters.channel:
        ids = {definitions.conversation_of(a[2]) for a in answers} - {None}
        channels = dict(Conversation.objects.filter(pk__in=ids).values_list("pk", "channel"))
        answers = [
            a
            for a in answers
            if channels.get(definitions.conversation_of(a[2]) or 0) == filters.channel
        ]
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _customer, _language, data in answers:
        score = data.get("score")
        if isinstance(score, int):
            scores[(str(data.get("survey", "")), str(data.get("resolved_by", "")))].append(score)
    csat_selfcare = scores[("csat", "selfcare")]
    csat_person = scores[("csat", "person")]
    nps = [s for (survey, _by), values in scores.items() if survey == "nps" for s in values]
    ces = [s for (survey, _by), values in scores.items() if survey == "ces" for s in values]
    return {
        "csat_after_selfcare": _mean(csat_selfcare),
        "csat_after_selfcare_responses": len(csat_selfcare),
        "csat_after_person": _mean(csat_person),
        "csat_after_person_responses": len(csat_person),
        "nps": (
            100
            * (sum(s >= NPS_PROMOTER for s in nps) - sum(s <= NPS_DETRACTOR for s in nps))
            / len(nps)
            if nps
            else None
        ),
        "nps_responses": len(nps),
        "ces": _mean(ces),
        "ces_responses": len(ces),
    }


# All of them -------------------------------------------------------------------------------


def quantities(
    period: Period, filters: Filters | None = None, *, source: Source = "auto"
) -> dict[str, Any]:
    """Every measured quantity of the period, under the keys of the API."""
    filters = filters or Filters()
    totals, _daily = session_totals(period, filters, source=source)
    return {
        **as_dict(period, filters),
        **totals.quantities(),
        **survey_quantities(period, filters),
        "funnel": totals.funnel(),
    }
