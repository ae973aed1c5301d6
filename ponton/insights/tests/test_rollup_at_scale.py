"""The rollup and the KPIs over many customers and visitors: no query carries a
number of parameters that grows with the data, the rollup works in bounded
batches that each commit with their progress, and a run that dies resumes
without counting anything twice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, connection

from ponton.insights import kpis
from ponton.insights.benchmark import Row, bench_customers, write_events
from ponton.insights.kpis import Filters, Period
from ponton.insights.models import RollupState, SessionFact
from ponton.insights.tests.conftest import ParamsGuard
from ponton.journeys.models import EventKind, JourneyEvent

# A Monday, local midnight in Paris (summer time).
DAY = datetime(2030, 9, 2, tzinfo=kpis.timezone.get_fixed_timezone(120))
PERIOD = Period(DAY, DAY + timedelta(days=1))
ARTICLE = {"article": 1}

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL binds at most 65,535 parameters a statement; this is its test",
)


def readers(count: int, *, customers: list[int] | None = None) -> list[uuid.UUID]:
    """`count` sessions of one article read each, on DAY between 08:00 and 20:00, one per
    visitor (signed in as `customers[i]` when given); returns their visitors' ids."""
    visitors = [uuid.uuid4() for _ in range(count)]
    spacing = timedelta(hours=12) / count
    rows: list[Row] = [
        (
            DAY + timedelta(hours=8) + spacing * i,
            EventKind.ARTICLE_VIEW,
            uuid.uuid4(),
            str(visitor),
            customers[i] if customers else None,
            "web",
            "fr",
            ARTICLE,
        )
        for i, visitor in enumerate(visitors)
    ]
    write_events(rows)
    return visitors


def contacts_next_day(visitors: list[uuid.UUID], *, customers: list[int] | None = None) -> None:
    """Each visitor hands off to a person the next day, in a session of its own (within
    72 hours of the reading: none of the readings is deflected any more)."""
    spacing = timedelta(hours=12) / len(visitors)
    rows: list[Row] = []
    for i, visitor in enumerate(visitors):
        at = DAY + timedelta(days=1, hours=8) + spacing * i
        session = uuid.uuid4()
        customer = customers[i] if customers else None
        conversation = {"conversation": 1_000_000 + i}
        rows += [
            (
                at,
                EventKind.CONTACT_REQUEST,
                session,
                str(visitor),
                customer,
                "web",
                "fr",
                conversation,
            ),
            (
                at,
                EventKind.HANDOFF,
                session,
                str(visitor),
                customer,
                "web",
                "fr",
                {**conversation, "reason": "customer_request", "person_requests": 1},
            ),
        ]
    write_events(rows)


def same_by_both_paths(filters: Filters | None = None) -> dict[str, object]:
    rolled = kpis.quantities(PERIOD, filters, source="rollup")
    assert rolled == kpis.quantities(PERIOD, filters, source="direct")
    assert kpis.quantities(PERIOD, filters) == rolled
    return rolled


def test_no_query_of_the_rollup_or_the_kpis_carries_more_than_a_fixed_number_of_parameters(
    db: None, params_guard: ParamsGuard
) -> None:
    customers = bench_customers(1200)
    signed_in = readers(1200, customers=customers)
    anonymous = readers(1200)
    with params_guard.watch():
        kpis.roll_up(now=DAY + timedelta(days=1))
    assert SessionFact.objects.count() == 2400

    contacts_next_day(signed_in, customers=customers)
    contacts_next_day(anonymous)
    with params_guard.watch():
        # Contacts logged since the rollup, read on top of it, then rolled up.
        assert kpis.quantities(PERIOD)["deflection_rate"] == 0.0
        assert kpis.quantities(PERIOD, Filters(segment="business"), source="direct")["sessions"]
        kpis.roll_up(now=DAY + timedelta(days=4))
        figures = same_by_both_paths()
        same_by_both_paths(Filters(segment="business"))
    assert figures["sessions"] == 2400
    assert figures["deflection_rate"] == 0.0
    assert SessionFact.objects.filter(followed_by_contact=True).count() == 2400
    assert params_guard.queries and params_guard.largest <= params_guard.bound


def test_a_day_busier_than_a_batch_is_rolled_up_in_several_with_the_same_figures(
    db: None,
) -> None:
    visitors = readers(40)
    contacts_next_day(visitors[:10])
    kpis.roll_up(now=DAY + timedelta(days=4), batch_events=7)
    assert SessionFact.objects.filter(started_at__lt=PERIOD.until).count() == 40
    figures = same_by_both_paths()
    assert figures["deflection_rate"] == 30 / 40


def test_a_rollup_that_dies_mid_backlog_resumes_where_it_stopped_without_counting_twice(
    db: None,
) -> None:
    visitors = readers(30)
    contacts_next_day(visitors[:12])
    # A stray row makes the third batch fail as a crash would: its transaction is lost.
    third_session = (
        JourneyEvent.objects.filter(kind=EventKind.ARTICLE_VIEW)
        .order_by("occurred_at")
        .values_list("session_id", flat=True)[20]
    )
    stray = SessionFact.objects.create(
        session_id=third_session,
        started_at=DAY - timedelta(days=400),
        ended_at=DAY - timedelta(days=400),
        channel="web",
    )
    with pytest.raises(IntegrityError):
        kpis.roll_up(now=DAY + timedelta(days=4), batch_events=10)
    state = RollupState.objects.get(name="sessions")
    assert state.rolled_until is not None and DAY < state.rolled_until < PERIOD.until
    assert SessionFact.objects.filter(started_at__gte=DAY).count() == 20  # two batches kept

    stray.delete()
    kpis.roll_up(now=DAY + timedelta(days=4), batch_events=10)
    assert SessionFact.objects.filter(started_at__lt=PERIOD.until).count() == 30
    figures = same_by_both_paths()
    assert figures["sessions"] == 30
    assert figures["deflection_rate"] == 18 / 30


def test_rolling_up_while_another_run_has_finished_writes_nothing_twice(db: None) -> None:
    readers(25)
    now = DAY + timedelta(days=2)
    assert kpis.roll_up(now=now, batch_events=10) == 25
    assert kpis.roll_up(now=now, batch_events=10) == 0
    assert SessionFact.objects.count() == 25


@postgresql_only
def test_a_rollup_batch_of_more_than_65535_visitors_works_on_postgresql(
    db: None, params_guard: ParamsGuard
) -> None:
    count = 70_000
    visitors = readers(count)  # one day, one batch: 70,000 visitors
    with params_guard.watch():
        kpis.roll_up(now=DAY + timedelta(days=1))
    assert SessionFact.objects.count() == count
    contacts_next_day(visitors[: count - 7000])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {JourneyEvent._meta.db_table}")
    with params_guard.watch():
        # 63,000 contacts logged since the rollup: read on top of it, then rolled up
        # (their own day as well, 63,000 conversations handed off in one batch).
        assert kpis.quantities(PERIOD)["deflection_rate"] == pytest.approx(0.1)
        kpis.roll_up(now=DAY + timedelta(days=4))
        figures = same_by_both_paths()
    assert figures["sessions"] == count
    assert figures["deflection_rate"] == pytest.approx(0.1)
    assert SessionFact.objects.count() == 2 * count - 7000
    assert params_guard.largest <= params_guard.bound
