"""What insights count of an incident: contacts, sessions that saw the notice and did not
contact us, notices sent, time to the first public update, and the reasons apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.insights.incidents import incident_figures
from ponton.insights.periods import Period
from ponton.insights.reasons import contact_reasons
from ponton.status import services
from ponton.status.models import Component, Phase
from ponton.tasks.services import run_due

CHAT = "/api/v1/chat/conversations"


def test_an_incidents_contacts_avoided_contacts_and_notices_are_counted(
    declare: Any,
    app: Component,
    supervisor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = declare(app, started_at=timezone.now() - timedelta(minutes=20))
    reader, writer = Client(), Client()
    reader.get("/fr/")  # saw the banner, wrote to nobody
    writer.get("/fr/")
    writer.get("/fr/")  # the same session sees it once
    with django_capture_on_commit_callbacks(execute=True):
        writer.post(
            CHAT,
            {"text": "l'appli est en panne", "customer": {"email": "w@example.net"}},
            content_type="application/json",
        )
    services.subscribe("w@example.net", incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(incident, phase=Phase.RESOLVED, message_fr="Réparé.", by=supervisor)
    run_due()

    now = timezone.now()
    [figures] = incident_figures(Period(now - timedelta(days=1), now + timedelta(hours=1)), now=now)
    assert figures.contacts == 1 and figures.by_channel == {"chat": 1}
    assert (figures.saw_notice, figures.avoided) == (2, 1)
    assert figures.notices_sent == 1
    assert round(figures.first_update_seconds or 0) == 20 * 60

    reasons = contact_reasons(Period(now - timedelta(days=1), now + timedelta(hours=1)))
    [about] = [r for r in reasons if r.incident == incident.pk]
    assert about.volume == 1 and about.label == "Incident : Panne fibre à Lyon"
    assert not about.gap and not about.content_to_fix


def test_supervisors_see_the_incidents_insights_page(
    client: Client, declare: Any, app: Component, supervisor: User, agent: User
) -> None:
    incident = declare(app)
    client.force_login(agent)
    assert client.get("/fr/manage/insights/incidents").status_code == 403
    client.force_login(supervisor)
    page = client.get("/fr/manage/insights/incidents").content.decode()
    assert f'data-incident="{incident.pk}"' in page
