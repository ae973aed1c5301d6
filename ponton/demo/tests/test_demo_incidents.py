"""The demo's status page: components, and the past outage whose surge insights show."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import Role
from ponton.demo import history, incidents
from ponton.demo.loader import load_demo
from ponton.insights.incidents import incident_figures
from ponton.insights.periods import Period
from ponton.status.models import Component, Incident, Kind


def test_the_demo_has_components_a_past_outage_with_its_surge_and_a_maintenance_ahead(
    db: None,
) -> None:
    load_demo(with_history=False)
    assert Component.objects.count() == len(incidents.COMPONENTS)
    customers = list(get_user_model().objects.filter(role=Role.CUSTOMER))
    history.generate(customers=customers, seed=3, days=incidents.OUTAGE_DAYS_AGO + 1)
    now = timezone.now()
    figures = incidents.generate(now=now)
    assert figures["incident contacts"] > 20

    outage = Incident.objects.get(kind=Kind.INCIDENT)
    assert outage.resolved_at is not None and outage.resolved_at < now
    [shown] = incident_figures(Period(now - timedelta(days=30), now), now=now)
    assert shown.contacts == figures["incident contacts"]
    assert 0 < shown.avoided < shown.saw_notice
    assert shown.notices_sent > 0 and shown.first_update_seconds == 25 * 60

    page = Client().get("/fr/status/").content.decode()
    assert "Panne de la fibre dans le Rhône" in page  # in the 90 days' history
    assert "Mise à jour des décodeurs TV" in page  # maintenance ahead
