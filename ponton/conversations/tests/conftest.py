"""Fixtures of the conversations tests (the shared personas are in ponton/conftest.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from ponton.accounts.models import Availability, Role, Skill, Team, User
from ponton.conftest import PASSWORD
from ponton.conversations.models import BusinessCalendar, Holiday

# Routing, service levels and supervision -------------------------------------------------


def make_present(user: User, *, seen: datetime | None = None, capacity: int | None = None) -> User:
    """An agent who is online and was seen just now (as their inbox's ping does)."""
    user.availability = Availability.ONLINE
    user.last_seen_at = seen or timezone.now()
    if capacity is not None:
        user.capacity = capacity
    user.save(update_fields=["availability", "last_seen_at", "capacity"])
    return user


@pytest.fixture
def front_colleague(agent: User) -> User:
    """Camille, Karim's colleague in the front team; she also serves English."""
    user = User.objects.create_user(
        "camille",
        email="camille@example.net",
        password=PASSWORD,
        first_name="Camille",
        last_name="Dupont",
        role=Role.AGENT,
        languages=["fr", "en"],
    )
    user.teams.add(Team.objects.get(slug="front"))
    return user


@pytest.fixture
def billing_skill(db: None) -> Skill:
    return Skill.objects.create(code="billing", name="Facturation")


WEEKDAYS_9_TO_18: dict[str, Any] = {
    **{str(day): ["09:00", "18:00"] for day in range(5)},
    "5": None,
    "6": None,
}


@pytest.fixture
def office_calendar(db: None) -> BusinessCalendar:
    """Monday to Friday 9:00-18:00 in Paris, the default calendar, with Whit Monday
    2025 (9 June) and Christmas 2026 as holidays."""
    calendar = BusinessCalendar.objects.create(
        name="Office", hours=WEEKDAYS_9_TO_18, is_default=True
    )
    Holiday.objects.create(calendar=calendar, date=datetime(2025, 6, 9).date(), name="Pentecôte")
    Holiday.objects.create(calendar=calendar, date=datetime(2026, 12, 25).date(), name="Noël")
    return calendar


@pytest.fixture
def round_the_clock(db: None) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        name="24/7", hours={str(day): ["00:00", "24:00"] for day in range(7)}
    )
