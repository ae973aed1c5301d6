"""Each measured quantity from journeys built with known outcomes, and the
rollup path giving exactly what the direct computation gives."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from ponton.accounts.models import User
from ponton.insights import kpis
from ponton.insights.kpis import Filters, Period
from ponton.insights.models import SessionFact
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

DAY = datetime(2030, 6, 3, tzinfo=kpis.timezone.get_fixed_timezone(120))
PERIOD = Period(DAY, DAY + timedelta(days=1))


class Journey:
    """One visitor's steps, `minutes` after the start of DAY."""

    def __init__(self, *, customer: User | None = None, channel: str = "web", lang: str = "fr"):
        self.visitor = str(uuid.uuid4())
        self.customer = customer
        self.channel = channel
        self.lang = lang

    def at(self, minutes: float, kind: str, **data: Any) -> None:
        record_event(
            kind,
            visitor_id=self.visitor,
            customer=self.customer,
            channel=self.channel,
            language=self.lang,
            data=data,
            occurred_at=DAY + timedelta(hours=9, minutes=minutes),
        )


def quantities(filters: Filters | None = None, period: Period = PERIOD) -> dict[str, Any]:
    direct = kpis.quantities(period, filters, source="direct")
    return direct


@pytest.fixture
def journeys(db: None, customer: User, other_customer: User) -> None:
    """Seven sessions with known outcomes (see each comment)."""
    # 1. Reads an article, says it helped: resolved, deflected.
    j = Journey(customer=customer)
    j.at(0, EventKind.PAGE_VIEW, page="home")
    j.at(1, EventKind.SEARCH, query="facture", results=3)
    j.at(2, EventKind.ARTICLE_VIEW, article=1)
    j.at(3, EventKind.ARTICLE_FEEDBACK, article=1, helpful=True)
    # 2. Searches, finds nothing, asks for a person 10 minutes later: escalated after 600 s.
    j = Journey(lang="en")
    j.at(0, EventKind.SEARCH, query="gift card", results=0)
    j.at(10, EventKind.CONTACT_REQUEST, conversation=900)
    j.at(10, EventKind.HANDOFF, conversation=900, reason="customer_request", person_requests=1)
    # 3. Only browses the home page: no selfcare attempt.
    Journey().at(0, EventKind.PAGE_VIEW, page="home")
    # 4. Chats, answered, then asks for a person twice before getting one: a wall, after 300 s.
    j = Journey(channel="chat")
    j.at(0, EventKind.MESSAGE, conversation=901, author="customer")
    j.at(0, EventKind.ASSISTANT_TURN, conversation=901, decision="answer", article=1)
    j.at(5, EventKind.HANDOFF, conversation=901, reason="customer_request", person_requests=2)
    # 5. Goes straight to a person: a handoff, no attempt.
    j = Journey(channel="chat")
    j.at(0, EventKind.MESSAGE, conversation=902, author="customer")
    j.at(0, EventKind.HANDOFF, conversation=902, reason="customer_request", person_requests=1)
    # 6. Reads an article, leaves; comes back two days later with a ticket:
    #    an attempt not deflected, but not escalated in its session.
    j = Journey(customer=other_customer)
    j.at(0, EventKind.ARTICLE_VIEW, article=2)
    j.at(60 * 48, EventKind.CONTACT_REQUEST, conversation=903)
    # 7. Uses a selfcare action through the assistant: resolved.
    j = Journey(channel="chat", lang="en")
    j.at(0, EventKind.ASSISTANT_TURN, conversation=904, decision="answer", article=3)
    j.at(1, EventKind.SELFCARE_RESOLVED, conversation=904, how="action:pay_invoice")
    j.at(1, EventKind.SELFCARE_ACTION, conversation=904, action="pay_invoice")


def test_each_session_quantity_is_exact(journeys: None) -> None:
    figures = quantities()
    assert figures["sessions"] == 7
    assert figures["selfcare_attempts"] == 5  # 1, 2, 4, 6, 7
    assert figures["selfcare_usage_rate"] == 5 / 7
    assert figures["deflection_rate"] == 2 / 5  # 1 and 7
    assert figures["autonomous_resolution_rate"] == 2 / 5  # 1 and 7
    assert figures["escalation_rate_after_selfcare"] == 2 / 5  # 2 and 4
    assert figures["mean_seconds_before_escalation"] == (600 + 300) / 2
    assert figures["handoffs"] == 3
    assert figures["wall_index"] == 1 / 3
    assert figures["funnel"] == {
        "visit": 7,
        "search": 2,
        "voice_menu": 0,
        "article": 2,
        "assistant": 2,
        "resolved": 2,
        "handed_off": 3,  # sessions 2, 4, 5 (6's ticket is a session of its own)
    }


def test_a_session_belongs_to_the_period_it_started_in(journeys: None) -> None:
    late = Journey()
    late.at(60 * 14 + 55, EventKind.SEARCH, query="x", results=1)  # 23:55
    late.at(60 * 15 + 10, EventKind.ARTICLE_VIEW, article=1)  # 00:10 the next day
    assert quantities()["sessions"] == 8
    next_day = quantities(period=Period(PERIOD.until, PERIOD.until + timedelta(days=1)))
    assert next_day["sessions"] == 0
    two_days_later = quantities(
        period=Period(PERIOD.until + timedelta(days=1), PERIOD.until + timedelta(days=2))
    )
    assert two_days_later["sessions"] == 1  # session 6's ticket starts a session of its own


def test_filters_keep_the_sessions_of_one_channel_language_or_segment(journeys: None) -> None:
    assert quantities(Filters(channel="chat"))["sessions"] == 3
    assert quantities(Filters(language="en"))["sessions"] == 2
    residential = quantities(Filters(segment="residential"))
    assert residential["sessions"] == 1
    assert residential["autonomous_resolution_rate"] == 1.0
    assert quantities(Filters(segment="business"))["deflection_rate"] == 0.0


def test_a_handoff_is_judged_on_what_happened_since_the_conversations_previous_one(
    db: None,
) -> None:
    j = Journey(channel="chat")
    j.at(0, EventKind.ASSISTANT_TURN, conversation=5, decision="unknown", failed_attempts=3)
    j.at(1, EventKind.HANDOFF, conversation=5, reason="failed_attempts", failed_attempts=3)
    # Solved, reopened later the same day, then a first request for a person.
    j.at(
        200,
        EventKind.HANDOFF,
        conversation=5,
        reason="customer_request",
        failed_attempts=3,
        person_requests=1,
    )
    figures = quantities()
    assert figures["handoffs"] == 2
    assert figures["wall_handoffs"] == 1


def test_survey_answers_give_csat_after_selfcare_and_after_a_person_nps_and_ces(
    db: None, customer: User
) -> None:
    j = Journey(customer=customer)
    for survey, score, by in [
        ("csat", 5, "selfcare"),
        ("csat", 4, "selfcare"),
        ("csat", 2, "person"),
        ("nps", 10, "person"),
        ("nps", 9, "selfcare"),
        ("nps", 7, "person"),
        ("nps", 3, "person"),
        ("ces", 6, "selfcare"),
        ("ces", 7, "person"),
    ]:
        j.at(0, kpis.SURVEY_ANSWER, conversation=1, survey=survey, score=score, resolved_by=by)
    figures = quantities()
    assert figures["csat_after_selfcare"] == 4.5
    assert figures["csat_after_selfcare_responses"] == 2
    assert figures["csat_after_person"] == 2
    assert figures["nps"] == 100 * (2 - 1) / 4
    assert figures["ces"] == 6.5


def test_the_rollup_gives_exactly_what_the_direct_computation_gives(journeys: None) -> None:
    kpis.roll_up(now=PERIOD.until + timedelta(days=5))
    assert SessionFact.objects.count() == 8
    for filters in [
        Filters(),
        Filters(channel="chat"),
        Filters(language="en"),
        Filters(segment="residential"),
    ]:
        rolled = kpis.quantities(PERIOD, filters, source="rollup")
        direct = kpis.quantities(PERIOD, filters, source="direct")
        assert rolled == direct
        rolled_daily = kpis.session_totals(PERIOD, filters, source="rollup")[1]
        direct_daily = kpis.session_totals(PERIOD, filters, source="direct")[1]
        assert rolled_daily == direct_daily


def test_a_period_across_the_rollup_watermark_adds_both_paths_exactly(journeys: None) -> None:
    later = Journey(channel="chat")
    later.at(60 * 30, EventKind.ASSISTANT_TURN, conversation=77, decision="answer", article=1)
    later.at(60 * 30 + 2, EventKind.HANDOFF, conversation=77, reason="customer_request")
    kpis.roll_up(until=PERIOD.until, now=PERIOD.until + timedelta(days=5))  # the first day
    two_days = Period(PERIOD.since, PERIOD.until + timedelta(days=1))
    assert kpis.quantities(two_days) == kpis.quantities(two_days, source="direct")
    assert kpis.quantities(two_days)["sessions"] == 8


def test_a_contact_logged_after_the_rollup_still_counts_against_deflection(
    journeys: None, customer: User
) -> None:
    kpis.roll_up(now=PERIOD.since + timedelta(hours=12))
    assert kpis.rolled_until() == PERIOD.since + timedelta(hours=12) - timedelta(minutes=30)
    before = kpis.quantities(PERIOD)
    assert before == kpis.quantities(PERIOD, source="direct")
    # Session 1's customer writes in the next day, within 72 hours of reading.
    Journey(customer=customer).at(60 * 24, EventKind.CONTACT_REQUEST, conversation=950)

    after = kpis.quantities(PERIOD)
    assert after["deflection_rate"] == 1 / 5
    assert after == kpis.quantities(PERIOD, source="direct")
    assert kpis.quantities(PERIOD, source="rollup") == after
    kpis.roll_up(now=PERIOD.since + timedelta(days=3))
    assert SessionFact.objects.filter(followed_by_contact=True).count() == 4  # 1, 2, 4, 6
    assert kpis.quantities(PERIOD) == after


def test_a_session_still_open_is_not_rolled_up(db: None) -> None:
    j = Journey()
    j.at(0, EventKind.SEARCH, query="x", results=1)
    j.at(25, EventKind.ARTICLE_VIEW, article=1)
    j.at(50, EventKind.ARTICLE_VIEW, article=2)
    kpis.roll_up(now=DAY + timedelta(hours=9, minutes=60))
    assert kpis.rolled_until() == DAY + timedelta(hours=9)
    assert not SessionFact.objects.exists()


def test_rolling_up_twice_changes_nothing(journeys: None) -> None:
    now = PERIOD.until + timedelta(days=5)
    kpis.roll_up(now=now)
    first = kpis.quantities(PERIOD, source="rollup")
    kpis.reset_rollup()
    kpis.roll_up(now=now)
    kpis.roll_up(now=now)
    assert kpis.quantities(PERIOD, source="rollup") == first


# The endpoint --------------------------------------------------------------------------


def test_the_kpis_endpoint_answers_supervisors_only(
    client: Client, customer: User, agent: User, supervisor: User, admin: User, password: str
) -> None:
    url = "/api/v1/insights/kpis"
    assert client.get(url).status_code in (401, 403)
    for user, allowed in [(customer, False), (agent, False), (supervisor, True), (admin, True)]:
        client.force_login(user)
        assert (client.get(url).status_code == 200) is allowed, user


def test_the_kpis_endpoint_refuses_a_malformed_period(client: Client, supervisor: User) -> None:
    client.force_login(supervisor)
    assert client.get("/api/v1/insights/kpis", {"since": "yesterday"}).status_code == 400
    assert (
        client.get(
            "/api/v1/insights/kpis", {"since": "2030-06-04", "until": "2030-06-03"}
        ).status_code
        == 400
    )


def test_the_kpis_endpoint_reads_dates_and_filters(
    journeys: None, client: Client, supervisor: User
) -> None:
    client.force_login(supervisor)
    body = client.get(
        "/api/v1/insights/kpis",
        {
            "since": "2030-06-03T00:00:00+02:00",
            "until": "2030-06-04T00:00:00+02:00",
            "channel": "chat",
        },
    ).json()
    assert body["sessions"] == 3
    assert body["filters"] == {"channel": "chat"}
