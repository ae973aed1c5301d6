"""The demo's routing rules, calendar and service levels, and its routed history."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ponton.accounts.models import Role
from ponton.conversations import calendars
from ponton.conversations.models import (
    BusinessCalendar,
    Conversation,
    RoutingRule,
    SlaPolicy,
    State,
)
from ponton.demo import history, people, service_levels
from ponton.demo.loader import load_demo

pytestmark = pytest.mark.django_db


def test_french_public_holidays_include_the_movable_feasts() -> None:
    holidays = dict(service_levels.french_public_holidays(2025))
    assert holidays[date(2025, 4, 21)] == "Lundi de Pâques"
    assert holidays[date(2025, 5, 29)] == "Ascension"
    assert holidays[date(2025, 6, 9)] == "Lundi de Pentecôte"
    assert holidays[date(2025, 12, 25)] == "Noël"
    assert service_levels.easter(2026) == date(2026, 4, 5)


def test_the_demo_has_a_default_calendar_service_levels_per_priority_and_rules() -> None:
    people.create_people(random.Random(7), customers=5)
    calendar = service_levels.set_up()

    assert calendars.default_calendar() == calendar
    year = timezone.localdate().year
    assert calendar.holidays.filter(date=date(year + 1, 12, 25)).exists()
    targets = {
        p.priority: (p.first_response_minutes, p.resolution_minutes)
        for p in SlaPolicy.objects.all()
    }
    assert targets[1] == (15, 240) and targets[4][0] == 480
    assert RoutingRule.objects.filter(segment="business", team__slug="business").exists()
    assert get_user_model().objects.get(username="camille").served_languages == ["fr", "en"]


def test_the_demo_history_is_routed_with_due_dates_and_a_few_misses_and_lies_in_the_past() -> None:
    load_demo(with_history=False)  # people, knowledge base, rules and service levels
    customers = list(get_user_model().objects.filter(role=Role.CUSTOMER)[:20])
    history.generate(customers=customers, seed=3, days=10)
    now = timezone.now()

    assert service_levels.route_history(random.Random(3), now=now) > 0

    handled = Conversation.objects.exclude(handoff_reason="")
    assert not handled.filter(team__isnull=True).exists()
    assert not handled.filter(first_response_due__isnull=True).exists()
    assert not handled.filter(first_response_at__gt=now).exists()
    assert not handled.filter(resolved_at__gt=now).exists()
    assert handled.filter(sla_breached_at__isnull=False).exists()
    assert handled.filter(sla_breached_at__isnull=True).count() > handled.count() / 2
    still_open = handled.exclude(state=State.CLOSED)
    assert 0 < still_open.count() <= service_levels.STILL_OPEN
    advisors = handled.exclude(assignee__isnull=True).values_list("assignee__role", flat=True)
    assert set(advisors) == {Role.AGENT}
    assert BusinessCalendar.objects.count() == 1
