"""Components of a small operator, and an incident on one of them, for the status tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ponton.accounts.models import User
from ponton.status import services
from ponton.status.models import Component, Impact, Incident

# A Tuesday morning in Paris, during opening hours.
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def fibre(db: None) -> Component:
    return services.add_component(
        name_fr="Internet fibre",
        name_en="Fibre internet",
        keywords="fibre, internet, connexion, box",
        modules=["fibre"],
    )


@pytest.fixture
def app(db: None) -> Component:
    """The customer app: every customer uses it."""
    return services.add_component(
        name_fr="Application client", name_en="Customer app", keywords="appli, application, app"
    )


@pytest.fixture
def bureau(db: None) -> Component:
    """The business suite: only customers with the "bureau" module use it."""
    return services.add_component(
        name_fr="Suite Bureau",
        name_en="Office suite",
        keywords="bureau, messagerie pro",
        modules=["bureau"],
    )


@pytest.fixture
def declare(supervisor: User, django_capture_on_commit_callbacks: Any) -> Any:
    """Declare an incident as a supervisor would (after commit: the banners' cache drops)."""

    def make(*components: Component, **fields: Any) -> Incident:
        with django_capture_on_commit_callbacks(execute=True):
            return services.declare_incident(
                services.IncidentFields(
                    title_fr=fields.pop("title_fr", "Panne fibre à Lyon"),
                    title_en=fields.pop("title_en", "Fibre outage in Lyon"),
                    message_fr=fields.pop("message_fr", "Nos équipes sont sur place."),
                    message_en=fields.pop("message_en", "Our teams are on site."),
                    impact=fields.pop("impact", Impact.MAJOR_OUTAGE),
                    components=list(components),
                    **fields,
                ),
                by=supervisor,
            )

    return make
