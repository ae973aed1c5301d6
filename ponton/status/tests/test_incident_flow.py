"""The whole path over the API (the issue's first "done when"): an incident declared on a
component puts a banner on /fr/ and /en/, GET /api/v1/status shows it, a chat message
about that component gets the incident's notice with the way to a person, a subscriber
gets an email on resolution, and after resolution the banner is gone."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conftest import has_human_exit
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.status.models import Component, IncidentContact, Notice
from ponton.tasks.services import run_due

CHAT = "/api/v1/chat/conversations"


def test_an_incident_declared_over_the_api_reaches_pages_chat_and_subscribers_until_resolved(
    client: Client,
    supervisor: User,
    fibre: Component,
    django_capture_on_commit_callbacks: Any,
) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(supervisor)}"}
    with django_capture_on_commit_callbacks(execute=True):
        declared = client.post(
            "/api/v1/incidents",
            {
                "title": "Panne de la fibre à Lyon",
                "message": "Les connexions fibre de la région lyonnaise sont coupées.",
                "title_en": "Fibre outage in Lyon",
                "message_en": "Fibre connections around Lyon are down.",
                "impact": "major_outage",
                "components": ["Internet fibre"],
            },
            content_type="application/json",
            **auth,
        )
    assert declared.status_code == 201, declared.content
    incident_id = declared.json()["id"]

    for lang, title in (("fr", "Panne de la fibre à Lyon"), ("en", "Fibre outage in Lyon")):
        page = client.get(f"/{lang}/").content.decode()
        assert "data-incident-banner" in page
        assert title in page
        assert has_human_exit(page, lang)

    status = client.get("/api/v1/status").json()
    assert status["status"] == "major_outage"
    assert {"id": fibre.pk, "name": "Internet fibre", "status": "major_outage"} in status[
        "components"
    ]
    [incident] = status["incidents"]
    assert incident["id"] == incident_id
    assert (incident["status"], incident["impact"]) == ("investigating", "major_outage")
    assert [u["status"] for u in incident["updates"]] == ["investigating"]

    with django_capture_on_commit_callbacks(execute=True):
        chat = client.post(
            CHAT,
            {
                "text": "Bonjour, ma fibre ne marche plus depuis ce matin",
                "lang": "fr",
                "customer": {"email": "lea@example.net"},
            },
            content_type="application/json",
        ).json()
    notice = chat["messages"][-1]
    assert notice["author"] == "assistant"
    assert "Panne de la fibre à Lyon" in notice["text"]
    assert "Prochain point" in notice["text"]
    actions = {a["id"] for a in notice["actions"]}
    assert "human" in actions
    assert f"notify:{incident_id}" in actions
    assert chat["state"] == "assistant"
    assert IncidentContact.objects.filter(
        incident_id=incident_id, conversation_id=chat["id"]
    ).exists()
    assert JourneyEvent.objects.filter(
        kind=EventKind.INCIDENT_CONTACT, data__incident=incident_id
    ).exists()

    subscribed = client.post(
        f"{CHAT}/{chat['id']}/messages",
        {"action": f"notify:{incident_id}"},
        content_type="application/json",
        headers={"X-Conversation-Token": chat["token"]},
    ).json()
    assert "lea@example.net" in subscribed["messages"][-1]["text"]

    with django_capture_on_commit_callbacks(execute=True):
        resolved = client.post(
            f"/api/v1/incidents/{incident_id}/updates",
            {"status": "resolved", "message": "Toutes les connexions sont rétablies."},
            content_type="application/json",
            **auth,
        )
    assert resolved.status_code == 201, resolved.content
    assert resolved.json()["status"] == "resolved"
    mail.outbox.clear()
    run_due()

    [sent] = [m for m in mail.outbox if m.to == ["lea@example.net"]]
    assert "Panne de la fibre à Lyon" in sent.subject
    assert "Toutes les connexions sont rétablies." in sent.body
    assert "/fr/status/unsubscribe/" in sent.body
    assert Notice.objects.get(email="lea@example.net").sent_at is not None
    for lang in ("fr", "en"):
        assert "data-incident-banner" not in client.get(f"/{lang}/").content.decode()
    assert client.get("/api/v1/status").json()["incidents"] == []
    run_due()  # a second run sends nothing twice
    assert len([m for m in mail.outbox if m.to == ["lea@example.net"]]) == 1
