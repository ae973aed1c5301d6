"""Preferences the customer sets, and the copy of her data she downloads."""

from __future__ import annotations

import io
import json
import zipfile

from django.conf import settings
from django.test import Client

from ponton.accounts.models import CustomerProfile, Role, User
from ponton.conftest import has_human_exit
from ponton.conversations.lifecycle import reply_as_agent
from ponton.conversations.models import Conversation, HandoffReason, State
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.portal import services
from ponton.portal.tests.conftest import open_request, png

PAGE = "/fr/account/preferences/"
CHOICES = {
    "language": "en",
    "preferred_channel": "email",
    "prefers_person": "on",
    "accessibility_needs": "Malentendante : écrivez-moi plutôt.",
    "phone": "06 11 22 33 44",
}


def test_the_page_shows_the_current_preferences(client: Client, customer: User) -> None:
    client.force_login(customer)
    response = client.get(PAGE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["language"].value() == "fr"
    assert form["preferred_channel"].value() == "chat"
    assert has_human_exit(response.content.decode())


def test_saving_preferences_updates_the_profile_and_the_language(
    client: Client, customer: User
) -> None:
    client.force_login(customer)

    response = client.post(PAGE, CHOICES)

    assert response.status_code == 302
    assert response["Location"] == "/en/account/preferences/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    customer.refresh_from_db()
    profile = CustomerProfile.objects.get(user=customer)
    assert customer.language == "en"
    assert (profile.preferred_channel, profile.prefers_person, profile.phone) == (
        "email",
        True,
        "06 11 22 33 44",
    )
    assert profile.accessibility_needs == "Malentendante : écrivez-moi plutôt."
    assert "Your preferences are saved." in client.get(response["Location"]).content.decode()


def test_the_journey_records_which_preferences_changed_never_their_values(
    client: Client, customer: User
) -> None:
    client.force_login(customer)
    client.post(PAGE, CHOICES)

    event = JourneyEvent.objects.get(kind=EventKind.PREFERENCES_CHANGE)
    assert event.customer == customer
    assert sorted(event.data["fields"]) == sorted(CHOICES)
    assert "Malentendante" not in json.dumps(event.data)
    assert "06 11" not in json.dumps(event.data)

    client.post(PAGE, CHOICES)  # nothing changed: nothing recorded
    assert JourneyEvent.objects.filter(kind=EventKind.PREFERENCES_CHANGE).count() == 1


def test_a_customer_without_a_profile_gets_one(client: Client, db: None) -> None:
    newcomer = User.objects.create_user("nadia", email="nadia@example.net", role=Role.CUSTOMER)
    client.force_login(newcomer)
    client.post(PAGE, {**CHOICES, "language": "fr"})
    assert CustomerProfile.objects.get(user=newcomer).prefers_person


def test_an_unknown_channel_is_refused(client: Client, customer: User) -> None:
    client.force_login(customer)
    response = client.post(PAGE, {**CHOICES, "preferred_channel": "pigeon"})
    assert response.status_code == 200
    assert response.context["form"].errors["preferred_channel"]


def test_the_assistant_respects_a_preference_for_a_person(client: Client, customer: User) -> None:
    client.force_login(customer)
    client.post(PAGE, {**CHOICES, "language": "fr"})

    chat = client.post(
        "/api/v1/chat/conversations",
        {"text": "Où trouver ma facture ?", "lang": "fr"},
        content_type="application/json",
    ).json()

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_PREFERENCE


# Data export ---------------------------------------------------------------------------


def test_the_customer_downloads_her_requests_and_messages_without_agents_notes(
    client: Client, customer: User, other_customer: User, agent: User
) -> None:
    mine = open_request(customer, "Ma box ne s'allume plus.")
    services.reply_to_request(
        mine, customer=customer, reply=services.Reply(text="Photo", files=[png("voyant.png")])
    )
    reply_as_agent(mine, agent=agent, text="Redémarrez-la.")
    reply_as_agent(mine, agent=agent, text="Cliente agacée", internal=True)
    open_request(other_customer, "Facture pro erronée.")
    client.force_login(customer)

    response = client.get("/fr/account/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("my-data.json"))
    assert data["customer"]["email"] == customer.email
    [request] = data["requests"]
    assert request["id"] == mine.pk
    texts = [m["text"] for m in request["messages"]]
    assert "Ma box ne s'allume plus." in texts
    assert "Redémarrez-la." in texts
    assert "Cliente agacée" not in json.dumps(data, ensure_ascii=False)
    assert "Facture pro" not in json.dumps(data, ensure_ascii=False)
    photo = next(m for m in request["messages"] if m["text"] == "Photo")
    [listed] = photo["attachments"]
    assert (listed["name"], listed["content_type"]) == ("voyant.png", "image/png")
    # The export is complete: the file itself, and the customer's journey.
    assert len(archive.read(listed["file"])) == listed["size"] > 0
    assert data["journey"] and all(event["kind"] and event["at"] for event in data["journey"])
