"""Service levels: due dates on business-hours calendars, and breaches that are seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from ponton.accounts.models import Team, User
from ponton.conversations import calendars, sla
from ponton.conversations.lifecycle import hand_off, open_conversation, reply_as_agent, set_status
from ponton.conversations.models import (
    Author,
    BusinessCalendar,
    Conversation,
    ConversationChannel,
    HandoffReason,
    RoutingRule,
    SlaPolicy,
    State,
    Status,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.tasks.models import Task
from ponton.tasks.services import run_due, schedule_periodic

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def policies(office_calendar: BusinessCalendar, agent: User) -> dict[str, SlaPolicy]:
    front = Team.objects.get(slug="front")
    make = SlaPolicy.objects.create
    return {
        "any": make(
            name="Any",
            first_response_minutes=240,
            resolution_minutes=1440,
            calendar=office_calendar,
        ),
        "urgent": make(
            name="Urgent",
            priority=1,
            first_response_minutes=15,
            resolution_minutes=240,
            calendar=office_calendar,
        ),
        "front": make(
            name="Front",
            team=front,
            first_response_minutes=60,
            resolution_minutes=480,
            calendar=office_calendar,
        ),
        "front-urgent": make(
            name="Front urgent",
            team=front,
            priority=1,
            first_response_minutes=10,
            resolution_minutes=120,
            calendar=office_calendar,
        ),
    }


def test_the_most_specific_policy_applies(policies: dict[str, SlaPolicy], agent: User) -> None:
    front = Team.objects.get(slug="front")
    assert sla.policy_for(front.pk, 1) == policies["front-urgent"]
    assert sla.policy_for(front.pk, 3) == policies["front"]
    assert sla.policy_for(None, 1) == policies["urgent"]
    assert sla.policy_for(None, 3) == policies["any"]
    SlaPolicy.objects.all().delete()
    assert sla.policy_for(front.pk, 3) is None


def _conversation(handed_off_at: datetime, **fields: Any) -> Conversation:
    return Conversation.objects.create(
        channel=ConversationChannel.EMAIL,
        state=State.WAITING_HUMAN,
        handed_off_at=handed_off_at,
        email="claire@example.net",
        **fields,
    )


def test_due_dates_run_on_the_calendar_and_skip_its_holidays(
    policies: dict[str, SlaPolicy],
) -> None:
    # Friday 6 June 2025 at 17:00, Whit Monday off: 4 business hours end on Tuesday at 12:00,
    # 24 on Thursday at 14:00.
    conversation = _conversation(datetime(2025, 6, 6, 17, tzinfo=PARIS), priority=3)

    assert sla.apply_sla(conversation) == policies["any"]

    conversation.refresh_from_db()
    assert conversation.first_response_due == datetime(2025, 6, 10, 12, tzinfo=PARIS)
    assert conversation.resolution_due == datetime(2025, 6, 12, 14, tzinfo=PARIS)


def test_a_handoff_gets_the_due_dates_of_its_team_and_priority(
    policies: dict[str, SlaPolicy], agent: User
) -> None:
    RoutingRule.objects.create(position=1, name="All", team=Team.objects.get(slug="front"))
    conversation = open_conversation(
        channel=ConversationChannel.CHAT, first_message="Mon compte a été piraté", language="fr"
    ).conversation
    hand_off(conversation, reason=HandoffReason.FRAUD_SECURITY)

    conversation.refresh_from_db()
    assert conversation.priority == 1
    start = conversation.handed_off_at
    assert start is not None
    assert conversation.first_response_due == calendars.add_business_minutes(
        policies["front-urgent"].calendar, start, 10
    )
    assert conversation.resolution_due == calendars.add_business_minutes(
        policies["front-urgent"].calendar, start, 120
    )


def test_a_late_first_answer_is_marked_escalated_and_told_to_supervisors(
    policies: dict[str, SlaPolicy],
    supervisor: User,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    now = timezone.now()
    late = _conversation(
        now - timedelta(hours=3),
        priority=3,
        first_response_due=now - timedelta(minutes=1),
        resolution_due=now + timedelta(hours=5),
    )
    on_time = _conversation(
        now - timedelta(minutes=5),
        first_response_due=now + timedelta(minutes=55),
        resolution_due=now + timedelta(hours=5),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert sla.check_breaches(now) == [late.pk]
    run_due()

    late.refresh_from_db()
    assert late.sla_breached_at == now and late.priority == 1
    note = late.messages.get(author=Author.SYSTEM, internal=True)
    assert "première réponse" in note.text  # written in the site's language
    assert JourneyEvent.objects.get(kind=EventKind.SLA_BREACH).data["missed"] == "first_response"
    on_time.refresh_from_db()
    assert on_time.sla_breached_at is None
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    assert f"#{late.pk}" in mail.outbox[0].body
    assert "/agent/supervision/" in mail.outbox[0].body
    # Marked once: the next check finds nothing new.
    assert sla.check_breaches(now + timedelta(minutes=1)) == []


def test_an_answer_given_after_the_due_time_is_still_a_breach(
    policies: dict[str, SlaPolicy], agent: User
) -> None:
    now = timezone.now()
    conversation = _conversation(
        now - timedelta(hours=3),
        first_response_due=now - timedelta(hours=1),
        resolution_due=now + timedelta(hours=5),
    )
    reply_as_agent(conversation, agent=agent, text="Désolé pour l'attente.")

    assert sla.check_breaches() == [conversation.pk]


def test_a_ticket_waiting_for_the_customer_is_not_a_breach_until_they_answer(
    policies: dict[str, SlaPolicy], agent: User
) -> None:
    now = timezone.now()
    conversation = _conversation(
        now - timedelta(days=3),
        first_response_due=now - timedelta(days=3) + timedelta(minutes=30),
        resolution_due=now - timedelta(hours=1),
        first_response_at=now - timedelta(days=3) + timedelta(minutes=10),
    )
    set_status(conversation, status=Status.PENDING, by=agent)
    assert sla.check_breaches() == []

    conversation.status = Status.OPEN  # the customer wrote again by email
    conversation.save()
    assert sla.check_breaches() == [conversation.pk]


def test_solved_and_closed_conversations_are_never_marked(
    policies: dict[str, SlaPolicy], agent: User
) -> None:
    now = timezone.now()
    conversation = _conversation(
        now - timedelta(days=3),
        first_response_due=now - timedelta(days=2),
        resolution_due=now - timedelta(days=1),
    )
    set_status(conversation, status=Status.SOLVED, by=agent)
    assert sla.check_breaches() == []


def test_the_worker_runs_the_service_level_check_every_minute(db: None) -> None:
    assert schedule_periodic() >= 1
    check = Task.objects.get(name="conversations.check_sla")
    assert check.dedupe_key == "periodic:conversations.check_sla"
    assert schedule_periodic() == 0  # one copy waits already
    run_due()
    now = timezone.now()
    assert schedule_periodic(now) >= 1
    again = Task.objects.filter(name="conversations.check_sla").latest("pk")
    assert again.pk != check.pk
    assert again.run_after >= check.run_after + timedelta(minutes=1)
