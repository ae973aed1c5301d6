"""The status page, its feed and subscriptions; the incidents workspace; the inbox and
supervision in a surge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.assistant import policy
from ponton.conftest import has_human_exit
from ponton.conversations import lifecycle
from ponton.status import services
from ponton.status.models import Component, Incident, Phase, Subscription


def test_the_status_page_shows_components_incidents_updates_maintenance_and_history(
    client: Client, declare: Any, fibre: Component, app: Component, supervisor: User, clock: Any
) -> None:
    old = declare(app, title_fr="Appli lente", impact="partial_outage")
    clock.shift(timedelta(hours=2))
    services.post_update(old, phase=Phase.RESOLVED, message_fr="Réglé.", by=supervisor)
    declare(fibre)
    now = timezone.now()
    services.schedule_maintenance(
        services.IncidentFields(
            title_fr="Travaux de nuit",
            message_fr="Coupure courte.",
            components=[app],
            scheduled_start=now + timedelta(days=2),
            scheduled_end=now + timedelta(days=2, hours=1),
        ),
        by=supervisor,
    )
    response = client.get("/fr/status/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Panne fibre à Lyon" in page and "Nos équipes sont sur place." in page
    assert "Panne majeure" in page  # the component's state
    assert "Travaux de nuit" in page  # maintenance ahead
    assert "Appli lente" in page and "Réglé." in page  # the 90 days' history
    assert "disponibilité 99,97 %" in page  # two hours of partial outage in 90 days, at 30 %
    assert "<script" not in page.split("<footer")[0]  # no script needed to read it
    assert has_human_exit(page, "fr")
    assert "data-incident-banner" in page
    english = client.get("/en/status/").content.decode()
    assert "Fibre outage in Lyon" in english and "Major outage" in english


def test_status_without_a_language_leads_to_the_page(client: Client, db: None) -> None:
    response = client.get("/status")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("/status/")
    assert client.get(response["Location"], follow=True).status_code == 200


def test_the_atom_feed_lists_the_updates(client: Client, declare: Any, fibre: Component) -> None:
    response = client.get("/en/status/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    assert response.status_code == 200
    declare(fibre)
    feed = client.get("/en/status/feed/").content.decode()
    assert "Fibre outage in Lyon" in feed and "Our teams are on site." in feed


def test_a_visitor_subscribes_without_signing_in_and_errors_are_clear(
    client: Client, declare: Any, fibre: Component
) -> None:
    incident = declare(fibre)
    form = client.get("/fr/status/subscribe", {"incident": incident.pk})
    assert form.status_code == 200 and has_human_exit(form.content.decode(), "fr")
    bad = client.post("/fr/status/subscribe", {"incident": incident.pk, "email": "nope"})
    assert bad.status_code == 400
    assert "Saisissez une adresse e-mail valide." in bad.content.decode()
    good = client.post("/fr/status/subscribe", {"incident": incident.pk, "email": "a@example.net"})
    assert good.status_code == 302
    assert Subscription.objects.filter(email="a@example.net", incident=incident).exists()
    assert client.get("/fr/status/subscribe").status_code == 404


def test_customer_pages_carry_the_banner_with_the_way_to_a_person(
    client: Client, declare: Any, fibre: Component, customer: User
) -> None:
    declare(fibre)
    client.force_login(customer)
    for path in ("/fr/", "/fr/search?q=facture", "/fr/account/", "/fr/contact/"):
        page = client.get(path).content.decode()
        assert "data-incident-banner" in page, path
        assert has_human_exit(page, "fr"), path


def test_a_normal_day_costs_the_help_center_no_query(
    client: Client, fibre: Component, django_assert_max_num_queries: Any
) -> None:
    client.get("/fr/")
    with django_assert_max_num_queries(6):  # as before incidents existed
        assert "data-incident-banner" not in client.get("/fr/").content.decode()


def test_only_staff_open_the_incidents_workspace_and_only_supervisors_declare(
    client: Client, fibre: Component, customer: User, agent: User, supervisor: User
) -> None:
    assert client.get("/fr/agent/incidents/").status_code == 302  # sign in first
    client.force_login(customer)
    assert client.get("/fr/agent/incidents/").status_code == 403
    client.force_login(agent)
    assert client.get("/fr/agent/incidents/").status_code == 200
    form = {
        "title_fr": "Panne",
        "message_fr": "On regarde.",
        "impact": "degraded",
        "components": [fibre.pk],
    }
    assert client.post("/fr/agent/incidents/declare", form).status_code == 403
    client.force_login(supervisor)
    page = client.get("/fr/agent/incidents/").content.decode()
    assert "Déclarer l'incident" in page
    response = client.post("/fr/agent/incidents/declare", form)
    incident = Incident.objects.get()
    assert response["Location"] == f"/fr/agent/incidents/{incident.pk}/"
    empty = client.post("/fr/agent/incidents/declare", {"impact": "degraded"}, follow=True)
    assert (
        "Dites ce que les clients doivent savoir, en français ou en anglais."
        in empty.content.decode()
    )


def test_an_agent_answers_the_incidents_conversations_from_its_page(
    client: Client, declare: Any, app: Component, customer: User, supervisor: User
) -> None:
    incident = declare(app)
    opened = lifecycle.open_conversation(
        channel="chat", first_message="l'appli plante, je veux un conseiller", customer=customer
    )
    policy.on_customer_message(opened.conversation, opened.message)
    client.force_login(supervisor)
    assert (
        f"#{opened.conversation.pk}"
        in client.get(f"/fr/agent/incidents/{incident.pk}/").content.decode()
    )
    client.post(f"/fr/agent/incidents/{incident.pk}/answer", {"text": "On répare."})
    assert opened.conversation.messages.filter(author="agent", text="On répare.").exists()
    client.post(
        f"/fr/agent/incidents/{incident.pk}/update",
        {"phase": "resolved", "message_fr": "Réparé.", "solve_contacts": "1"},
    )
    opened.conversation.refresh_from_db()
    assert opened.conversation.status == "solved"


def test_in_a_surge_the_inbox_sets_the_incidents_conversations_apart_and_supervision_shows_it(
    client: Client,
    declare: Any,
    app: Component,
    customer: User,
    other_customer: User,
    supervisor: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PONTON_CRISIS_THRESHOLD = 2
    incident = declare(app)
    about = []
    with django_capture_on_commit_callbacks(execute=True):
        for who in (customer, other_customer):
            opened = lifecycle.open_conversation(
                channel="chat",
                first_message="l'appli est en panne, un conseiller svp",
                customer=who,
            )
            policy.on_customer_message(opened.conversation, opened.message)
            about.append(opened.conversation.pk)
        other = lifecycle.open_conversation(
            channel="chat",
            first_message="je veux parler à un conseiller pour ma facture",
            customer=customer,
        ).conversation
        policy.on_customer_message(other, other.messages.get())
    client.force_login(supervisor)
    page = client.get("/fr/agent/", {"queue": "waiting", "fragment": "1"}).content.decode()
    group, rest = page.rsplit('<ul class="queue" data-count', 1)
    assert f'data-incident-group="{incident.pk}"' in group
    assert all(f'data-conversation="{pk}"' in group for pk in about)
    assert (
        f'data-conversation="{other.pk}"' in rest and f'data-conversation="{other.pk}"' not in group
    )
    board = client.get("/fr/agent/supervision/").content.decode()
    assert f'data-incident-surge="{incident.pk}"' in board and "mode crise" in board
    home = client.get("/fr/").content.decode()
    assert "incident-crisis" in home
