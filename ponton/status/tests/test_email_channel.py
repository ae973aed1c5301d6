"""An email about an open incident: a person still answers it (email is a human channel),
the acknowledgement tells what is known, the contact is counted, the agent sees it."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from django.core import mail

from ponton.connectors.email import inbound
from ponton.conversations.models import Conversation, State
from ponton.status.models import Component, IncidentContact
from ponton.tasks.services import run_due

pytestmark = pytest.mark.django_db(transaction=True)


def raw(text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Dubois <claire@example.org>"
    message["To"] = "support@ponton.example"
    message["Subject"] = "Plus rien"
    message["Message-ID"] = "<m1@example.org>"
    message.set_content(text)
    return message.as_bytes()


def test_the_acknowledgement_of_an_email_about_an_incident_tells_what_is_known(
    declare: Any, fibre: Component
) -> None:
    incident = declare(fibre)
    outcome = inbound.receive(raw("Bonjour, ma connexion fibre est coupée depuis ce matin."))
    assert outcome.status == "created"
    conversation = Conversation.objects.get(pk=outcome.conversation)
    assert conversation.state == State.WAITING_HUMAN
    assert IncidentContact.objects.filter(incident=incident, conversation=conversation).exists()
    assert any(s.get("incident") == incident.pk for s in conversation.context["signals"])
    run_due()
    [ack] = mail.outbox
    assert "Nous sommes au courant : Panne fibre à Lyon." in ack.body
    assert "/fr/status/" in ack.body
