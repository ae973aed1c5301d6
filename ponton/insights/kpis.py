"""The measured quantities of DESIGN.md over a period, from the journey log.

Session quantities add up (counts and exact integer sums), so a period is
computed as the rolled-up settled sessions (`SessionFact`, one SQL
aggregate) plus the recent sessions computed directly from the events; the
two paths use the same definitions (`facts.py`) and give identical figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.db import connection, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from ponton.accounts.models import CustomerProfile
from ponton.batches import batches
from ponton.conversations.models import Conversation
from ponton.insights import facts as definitions
from ponton.insights.facts import EVENT_FIELDS, EventRow, SessionFacts
from ponton.insights.models import RollupState, SessionConversation, SessionFact
from ponton.insights.periods import Filters, Period, conversations_of_team
from ponton.insights.reasons import repeat_contact_rate
from ponton.insights.service_levels import conversation_quantities
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import SESSION_GAP

CHUNK = 5000
# A rollup batch covers at most a day, and at most this many journey events
# (read into memory at once); the contacts are brought up to date in batches of
# this many contacts.
BATCH_EVENTS = 100_000
Source = Literal["auto", "direct", "rollup"]


@dataclass
class Totals:
    """The additive counts behind the session quantities."""

    sessions: int = 0
    searched: int = 0
    read_article: int = 0
    used_assistant: int = 0
    used_voice_menu: int = 0
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
        self.used_voice_menu += item.used_voice_menu
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
            "voice_menu": self.used_voice_menu,
            "resolved": self.resolved,
            "handed_off": self.handed_off,
        }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# Direct computation from the journey log -----------------------------------------------


def _rows(queryset: QuerySet[JourneyEvent]) -> Iterator[EventRow]:
    return queryset.values_list(*EVENT_FIELDS).iterator(chunk_size=CHUNK)


def _window(since: datetime, until: datetime) -> list[EventRow]:
    return list(_rows(JourneyEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until)))


def direct_facts(since: datetime, until: datetime) -> list[SessionFacts]:
    """Facts of the sessions that started in [since, until), from their events.

    An event joins a session only when the session's previous event came less
    than 30 minutes before it (`journeys.services`), so a session that began
    before `since` shows an event in the 30 minutes before it, and one still
    going at a horizon shows an event in the 30 minutes before that horizon:
    reading time windows is enough, never the whole log.
    """
    earlier = {row[1] for row in _window(since - SESSION_GAP, since)}
    rows = [row for row in _window(since, until) if row[1] not in earlier]
    ours = {row[1] for row in rows}
    horizon, going = until, ours
    while going:
        later = [row for row in _window(horizon, horizon + SESSION_GAP) if row[1] in going]
        rows.extend(later)
        going = {row[1] for row in later}
        horizon += SESSION_GAP
    if not rows:
        return []
    # Every handoff of the conversations handed off in these sessions, earlier ones
    # included (a wall is judged since the conversation's previous handoff): a
    # subquery over the window, whatever the number of conversations.
    handoffs: list[EventRow] = []
    if any(row[3] == EventKind.HANDOFF for row in rows):
        handed_off = JourneyEvent.objects.filter(
            kind=EventKind.HANDOFF,
            occurred_at__gte=since,
            occurred_at__lte=max(row[2] for row in rows),
        ).values("data__conversation")
        handoffs.extend(
            _rows(
                JourneyEvent.objects.filter(
                    kind=EventKind.HANDOFF, data__conversation__in=Subquery(handed_off)
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
    segments: dict[int, str] = {}
    for chunk in batches(sorted(set(customer_ids))):
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
    if filters.team is not None:
        team = conversations_of_team(filters.team)
        items = [f for f in items if f.conversations & team]
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
        "used_voice_menu": Count("pk", filter=Q(used_voice_menu=True)),
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
    if filters.team is not None:
        facts = facts.filter(
            session_id__in=SessionConversation.objects.filter(
                conversation_id__in=Conversation.objects.filter(team_id=filters.team).values("pk")
            ).values("session_id")
        )
    return facts


def _contacts_after(event_id: int) -> QuerySet[JourneyEvent]:
    """Contacts logged after the rollup last looked (they may follow rolled-up attempts)."""
    return JourneyEvent.objects.filter(
        kind__in=definitions.ESCALATION_KINDS, id__gt=event_id
    ).order_by()


def _followed_by(contacts: QuerySet[JourneyEvent]) -> Q:
    """The open selfcare attempts one of `contacts` follows within 72 hours, matched on the
    attempt's owner as `facts.ContactTimes` matches it: its customer, else its visitor,
    else its session. A join in SQL, whatever the number of contacts."""
    deadline = ExpressionWrapper(
        OuterRef("selfcare_at") + definitions.FOLLOW_UP, output_field=DateTimeField()
    )
    within = contacts.filter(occurred_at__gte=OuterRef("selfcare_at"), occurred_at__lte=deadline)
    anonymous = Q(customer_id__isnull=True)
    return Q(selfcare_attempt=True, followed_by_contact=False) & (
        Q(Exists(within.filter(customer_id=OuterRef("customer_id"))), customer_id__isnull=False)
        | (
            anonymous
            & ~Q(visitor_id="")
            & Q(Exists(within.filter(visitor_id=OuterRef("visitor_id"))))
        )
        | (
            anonymous
            & Q(visitor_id="")
            & Q(Exists(within.filter(session_id=OuterRef("session_id"))))
        )
    )


def _followed_late(
    facts: QuerySet[SessionFact], contacts: QuerySet[JourneyEvent]
) -> QuerySet[SessionFact]:
    """The rolled-up attempts, not yet followed by a contact, that these later contacts follow."""
    span = contacts.aggregate(earliest=Min("occurred_at"), latest=Max("occurred_at"))
    if span["earliest"] is None:
        return facts.none()
    return facts.filter(
        selfcare_at__gte=span["earliest"] - definitions.FOLLOW_UP,
        selfcare_at__lte=span["latest"],
    ).filter(_followed_by(contacts))


def rollup_totals(
    period: Period, filters: Filters, state: RollupState | None = None, *, daily: bool = True
) -> tuple[Totals, dict[date, Totals]]:
    facts = _rolled_up(period, filters)
    total = _totals(facts.aggregate(**_aggregates()))
    by_day: dict[date, Totals] = {}
    if daily:
        by_day = {
            row["day"]: _totals(row)
            for row in facts.annotate(
                day=TruncDate("started_at", tzinfo=timezone.get_current_timezone())
            )
            .order_by()
            .values("day")
            .annotate(**_aggregates())
        }
    state = state or rollup_state()
    if state is not None:
        late = _followed_late(facts, _contacts_after(state.last_event_id))
        for started_at in late.values_list("started_at", flat=True):
            total.deflected -= 1
            if daily:
                by_day[_local_day(started_at)].deflected -= 1
    return total, by_day


def rollup_state() -> RollupState | None:
    return RollupState.objects.filter(name="sessions").first()


def rolled_until() -> datetime | None:
    state = rollup_state()
    return state.rolled_until if state else None


def session_totals(
    period: Period, filters: Filters, *, source: Source = "auto", daily: bool = True
) -> tuple[Totals, dict[date, Totals]]:
    """The period's session counts, overall and (when `daily`) per local day."""
    if source == "direct":
        return direct_totals(period, filters)
    state = rollup_state()
    if source == "rollup":
        return rollup_totals(period, filters, state, daily=daily)
    watermark = state.rolled_until if state else None
    if state is None or watermark is None or watermark <= period.since:
        return direct_totals(period, filters)
    if watermark >= period.until:
        return rollup_totals(period, filters, state, daily=daily)
    old, old_daily = rollup_totals(Period(period.since, watermark), filters, state, daily=daily)
    new, new_daily = direct_totals(Period(watermark, period.until), filters)
    merged = dict(old_daily)
    for day, totals in new_daily.items():
        merged[day] = merged.get(day, Totals()) + totals
    return old + new, merged


# The columns of a `SessionFact`, each the attribute of the same name of `SessionFacts`.
FACT_COLUMNS = (
    "session_id",
    "started_at",
    "ended_at",
    "channel",
    "language",
    "customer_id",
    "visitor_id",
    "events",
    "searched",
    "read_article",
    "used_assistant",
    "used_voice_menu",
    "selfcare_attempt",
    "selfcare_at",
    "resolved",
    "escalated",
    "handed_off",
    "followed_by_contact",
    "microseconds_to_escalation",
    "handoffs",
    "wall_handoffs",
)
LINK_COLUMNS = ("session_id", "conversation_id")


def _copy(table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows into a table on PostgreSQL: a batch of tens of thousands of facts in
    a fraction of the time of INSERTs, and no parameters at all. Errors are Django's
    (`IntegrityError`…), as from any other query."""
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _insert_facts(items: list[SessionFacts]) -> None:
    facts = [tuple(getattr(f, column) for column in FACT_COLUMNS) for f in items]
    links = [(f.session_id, c) for f in items for c in sorted(f.conversations)]
    if connection.vendor == "postgresql":
        _copy(SessionFact._meta.db_table, FACT_COLUMNS, facts)
        _copy(SessionConversation._meta.db_table, LINK_COLUMNS, links)
        return
    SessionFact.objects.bulk_create(
        [SessionFact(**dict(zip(FACT_COLUMNS, row, strict=True))) for row in facts],
        batch_size=CHUNK,
    )
    SessionConversation.objects.bulk_create(
        [SessionConversation(session_id=s, conversation_id=c) for s, c in links],
        batch_size=CHUNK,
    )


def _write_facts(since: datetime, until: datetime) -> int:
    """Write the facts of the sessions that started in [since, until), in place of any there."""
    SessionConversation.objects.filter(
        session__started_at__gte=since, session__started_at__lt=until
    ).delete()
    SessionFact.objects.filter(started_at__gte=since, started_at__lt=until).delete()
    items = direct_facts(since, until)
    _insert_facts(items)
    return len(items)


def _finished_before(now: datetime) -> datetime:
    """The start of the earliest session still open at `now` (an event in the
    last 30 minutes), or `now` less the session gap: the rollup stops there."""
    gap = SESSION_GAP
    active = JourneyEvent.objects.filter(occurred_at__gt=now - gap).values("session_id")
    first = (
        JourneyEvent.objects.filter(session_id__in=active)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    limit = now - gap
    return min(first, limit) if first is not None else limit


def _locked_state() -> RollupState:
    """The rollup's progress, locked until the end of the transaction: two workers
    rolling up at once take turns, batch by batch, and never write a batch twice."""
    state, _created = RollupState.objects.select_for_update().get_or_create(name="sessions")
    return state


def _mark_followed(up_to_event_id: int, batch_events: int) -> None:
    """Mark the rolled-up attempts that the contacts logged since the rollup last looked
    (up to event `up_to_event_id`) follow, `batch_events` contacts at a time, each batch
    committed with the event it reached."""
    while True:
        with transaction.atomic():
            state = _locked_state()
            if state.last_event_id >= up_to_event_id:
                return
            pending = _contacts_after(state.last_event_id).filter(id__lte=up_to_event_id)
            end = next(
                iter(
                    pending.order_by("id").values_list("id", flat=True)[
                        batch_events - 1 : batch_events
                    ]
                ),
                up_to_event_id,
            )
            late = _followed_late(SessionFact.objects.all(), pending.filter(id__lte=end))
            late.update(followed_by_contact=True)
            state.last_event_id = end
            state.save()


def _first_day() -> datetime | None:
    first = (
        JourneyEvent.objects.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    )
    if first is None:
        return None
    return timezone.localtime(first).replace(hour=0, minute=0, second=0, microsecond=0)


def _batch_end(start: datetime, limit: datetime, batch_events: int) -> datetime:
    """A day after `start` at most, and no further than the `batch_events`-th event after it
    (unless they all happened at the same instant)."""
    end = min(start + timedelta(days=1), limit)
    nth = next(
        iter(
            JourneyEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
            .order_by("occurred_at")
            .values_list("occurred_at", flat=True)[batch_events : batch_events + 1]
        ),
        None,
    )
    return nth if nth is not None and nth > start else end


def _roll_up_batch(limit: datetime, batch_events: int) -> int | None:
    """Write the next batch of finished sessions and move the watermark past them, in one
    transaction: a crash loses the batch, never half of it. None when there is nothing
    left before `limit`."""
    with transaction.atomic():
        state = _locked_state()
        start = state.rolled_until or _first_day()
        if start is None or start >= limit:
            return None
        end = _batch_end(start, limit, batch_events)
        written = _write_facts(start, end)
        state.rolled_until = end
        state.save()
    return written


def roll_up(
    *,
    until: datetime | None = None,
    now: datetime | None = None,
    batch_events: int = BATCH_EVENTS,
) -> int:
    """Roll up the finished sessions in bounded batches from where the rollup stopped,
    after marking the rolled-up attempts that the contacts logged since then follow.
    Each batch commits with its progress (`RollupState`), so a run that dies resumes
    where it stopped, and nothing is counted twice. Returns the sessions written."""
    now = now or timezone.now()
    limit = min(until, _finished_before(now)) if until else _finished_before(now)
    last_event_id = JourneyEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    _mark_followed(last_event_id, batch_events)
    written = 0
    while (batch := _roll_up_batch(limit, batch_events)) is not None:
        written += batch
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
        "filters": {k: v for k, v in asdict(filters).items() if v not in ("", None)},
    }


# Surveys -------------------------------------------------------------------------------

SURVEY_ANSWER = EventKind.SURVEY_ANSWER
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
    if filters.channel or filters.team is not None:
        ids = {c for a in answers if (c := definitions.conversation_of(a[2])) is not None}
        conversations = {
            pk: (channel, team)
            for chunk in batches(sorted(ids))
            for pk, channel, team in Conversation.objects.filter(pk__in=chunk).values_list(
                "pk", "channel", "team_id"
            )
        }
        answers = [
            a
            for a in answers
            if (found := conversations.get(definitions.conversation_of(a[2]) or 0))
            and (not filters.channel or found[0] == filters.channel)
            and (filters.team is None or found[1] == filters.team)
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
    return quantities_and_daily(period, filters, source=source, daily=False)[0]


def quantities_and_daily(
    period: Period,
    filters: Filters | None = None,
    *,
    source: Source = "auto",
    daily: bool = True,
    repeat_rate: float | Literal["compute"] | None = "compute",
) -> tuple[dict[str, Any], dict[date, Totals]]:
    """The measured quantities, and the session counts per local day for trends.
    `repeat_rate`: the period's repeat-contact rate when the caller computed it
    (with `reasons.repeat_contact_rates`, for several periods at once)."""
    filters = filters or Filters()
    totals, by_day = session_totals(period, filters, source=source, daily=daily)
    return {
        **as_dict(period, filters),
        **totals.quantities(),
        **survey_quantities(period, filters),
        **conversation_quantities(period, filters),
        "repeat_contact_rate": (
            repeat_contact_rate(period, filters) if repeat_rate == "compute" else repeat_rate
        ),
        "funnel": totals.funnel(),
    }, by_day
