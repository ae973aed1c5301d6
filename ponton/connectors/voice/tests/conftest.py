from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ponton.accounts.models import Availability, User

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday morning: advisors work (the built-in hours, 8:00-20:00 on weekdays).
OPEN = datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)
# A Sunday: nobody works.
CLOSED = datetime(2025, 3, 16, 11, 0, tzinfo=PARIS)
CLAIRE_PHONE = "+33612345678"


@pytest.fixture(autouse=True)
def _phone_settings(settings: Any) -> None:
    settings.SITE_URL = "http://testserver"
    settings.PONTON_VOICE_AUTH_TOKEN = "provider-auth-token"
    settings.PONTON_SUPPORT_PHONE = "01 99 00 12 34"


@pytest.fixture
def open_hours() -> Iterator[None]:
    with time_machine.travel(OPEN, tick=False):
        yield


@pytest.fixture
def closed_hours() -> Iterator[None]:
    with time_machine.travel(CLOSED, tick=False):
        yield


@pytest.fixture
def caller(customer: User) -> User:
    """Claire, with her mobile number in her profile (as she typed it)."""
    customer.profile.phone = "06 12 34 56 78"
    customer.profile.save()
    return customer


@pytest.fixture
def online(agent: User) -> User:
    """Karim is online and seen just now (inside the frozen clock)."""
    from django.utils import timezone

    User.objects.filter(pk=agent.pk).update(
        availability=Availability.ONLINE, last_seen_at=timezone.now()
    )
    agent.refresh_from_db()
    return agent
