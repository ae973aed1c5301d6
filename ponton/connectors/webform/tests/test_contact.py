"""The contact form: the way to a person, carrying what the visitor already tried."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils.html import escape

from ponton.conftest import KB
from ponton.conversations.calendars import availability
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    State,
)
from ponton.journeys.models import EventKind, JourneyEvent

CONTACT = "/fr/contact/"
DONE = "/fr/contact/sent/"
PARIS = ZoneInfo("Europe/Paris")


def names_request(text: str, pk: int) -> bool:
    """ "#12" in English, "n° 12" (with a no-break space) in French."""
    return re.search(rf"(#|n°(\s|&nbsp;)){pk}\b", text) is not None


def test_the_contact_form_opens_for_anonymous_visitors(client: Client, db: None) -> None:
    response = client.get(CONTACT)
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"name", "email", "text"}


def test_a_visitor_who_searched_and_read_reaches_a_person_who_knows_it(
    client: Client, kb: KB
) -> None:
    client.get("/fr/search", {"q": "mot de pase oublie"})
    client.get(f"/fr/a/{kb.password_fr.slug}/", {"q": "mot de pase oublie"})
    client.post(f"/fr/a/{kb.password_fr.slug}/feedback", {"helpful": "no"})

    response = client.post(
        CONTACT,
        {
            "name": "Claire",
            "email": "claire@example.net",
            "text": "Je ne reçois pas l'e-mail de réinitialisation.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == DONE

    conversation = Conversation.objects.get()
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.channel == ConversationChannel.WEB_FORM
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    assert conversation.email == "claire@example.net"
    assert conversation.language == "fr"
    assert conversation.visitor_id == client.cookies["ponton_visit"].value
    message = conversation.messages.get(author="customer")
    assert (message.author, message.text) == (
        Author.CUSTOMER,
        "Je ne reçois pas l'e-mail de réinitialisation.",
    )

    context = conversation.context
    assert context["reason"] == HandoffReason.CUSTOMER_REQUEST
    assert [s["query"] for s in context["searches"]] == ["mot de pase oublie"]
    assert context["searches"][0]["results"] >= 1
    assert [(a["article"], a["title"]) for a in context["articles_viewed"]] == [
        (kb.password.pk, kb.password_fr.title)
    ]
    assert [(f["title"], f["helpful"]) for f in context["feedback"]] == [
        (kb.password_fr.title, False)
    ]
    assert context["customer"] == {
        "name": "Claire",
        "email": "claire@example.net",
        "language": "fr",
    }

    request_event = JourneyEvent.objects.get(kind=EventKind.CONTACT_REQUEST)
    assert request_event.data["conversation"] == conversation.pk
    assert request_event.visitor_id == conversation.visitor_id


def test_the_confirmation_page_names_the_request(client: Client, kb: KB) -> None:
    client.post(CONTACT, {"email": "claire@example.net", "text": "Ma box clignote."})
    conversation = Conversation.objects.get()
    response = client.get(DONE)
    assert response.status_code == 200
    assert response.context["conversation"] == conversation
    html = response.content.decode()
    assert names_request(html, conversation.pk)
    assert "claire@example.net" in html


def test_the_context_packet_only_holds_this_visitors_journey(client: Client, kb: KB) -> None:
    stranger = Client()
    stranger.get("/fr/search", {"q": "facture"})
    stranger.get(f"/fr/a/{kb.invoice_fr.slug}/")
    client.get("/fr/search", {"q": "wifi"})
    client.post(CONTACT, {"email": "claire@example.net", "text": "Aide wifi"})
    context = Conversation.objects.get().context
    assert [s["query"] for s in context["searches"]] == ["wifi"]
    assert context["articles_viewed"] == []


def test_a_signed_in_customer_is_not_asked_for_name_and_email(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    client.get("/fr/search", {"q": "facture"})
    page = client.get(CONTACT).content.decode()
    assert 'name="email"' not in page
    assert 'name="text"' in page

    response = client.post(CONTACT, {"text": "Ma facture est trop élevée."})
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.customer == customer
    assert conversation.email == customer.email
    assert conversation.name == "Claire Martin"
    assert conversation.messages.get(author="customer").author_user == customer
    packet = conversation.context
    assert packet["customer"]["id"] == customer.pk
    assert packet["customer"]["plan"] == "fibre-max"
    assert packet["customer"]["modules"] == ["fibre", "tv"]
    assert packet["customer"]["segment"] == "residential"
    assert [s["query"] for s in packet["searches"]] == ["facture"]


def test_an_empty_request_shows_errors_and_stores_nothing(client: Client, db: None) -> None:
    response = client.post(CONTACT, {"name": "", "email": "", "text": "   "})
    assert response.status_code == 200
    assert "text" in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not Conversation.objects.exists()
    assert len(mail.outbox) == 0


def test_a_request_without_an_email_keeps_the_message_and_asks_for_the_address(
    client: Client, db: None
) -> None:
    typed = "Mon décodeur TV affiche « Pas de signal » depuis ce matin."
    response = client.post(CONTACT, {"name": "Claire", "email": "", "text": typed})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    html = response.content.decode()
    assert "Mon décodeur TV affiche « Pas de signal » depuis ce matin." in html
    assert 'value="Claire"' in html
    assert not Conversation.objects.exists()

    client.post(CONTACT, {"name": "Claire", "email": "claire@example.net", "text": typed})
    assert Conversation.objects.get().messages.get(author="customer").text == typed


def test_an_invalid_email_is_refused_and_the_message_kept(client: Client, db: None) -> None:
    response = client.post(CONTACT, {"email": "not-an-address", "text": "Bonjour"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert "Bonjour" in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_signed_in_customer_without_an_email_is_told_why_the_request_was_not_sent(
    client: Client, django_user_model
) -> None:
    no_email = django_user_model.objects.create_user("sansmail", role="customer", email="")
    client.force_login(no_email)
    response = client.post(CONTACT, {"text": "Je veux parler à quelqu'un."})
    assert not Conversation.objects.exists()
    assert response.status_code == 200
    html = response.content.decode()
    assert "Je veux parler à quelqu&#x27;un." in html
    # The error must be visible: the email field is hidden for signed-in customers.
    errors = response.context["form"].errors
    assert errors
    assert any(escape(message) in html for messages in errors.values() for message in messages)


def test_the_customer_gets_an_acknowledgement_by_email_once_the_request_is_stored(
    client: Client, db: None, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CONTACT, {"email": "claire@example.net", "text": "Ma box clignote en rouge."})
    conversation = Conversation.objects.get()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["claire@example.net"]
    assert names_request(email.subject, conversation.pk)
    # An address typed by an anonymous visitor is not verified: the text is not echoed.
    assert "Ma box clignote en rouge." not in email.body


def test_the_confirmation_page_is_only_for_whoever_sent_the_request(
    client: Client, customer, other_customer
) -> None:
    client.force_login(customer)
    client.post(CONTACT, {"text": "Bonjour"})
    assert client.get(DONE).status_code == 200
    anonymous, other = Client(), Client()
    other.force_login(other_customer)
    for outsider in (anonymous, other):
        response = outsider.get(DONE)
        assert response.status_code == 302
        assert response["Location"] == CONTACT
        assert customer.email not in outsider.get(CONTACT).content.decode()


def test_the_contact_form_in_english_stores_an_english_request(client: Client, db: None) -> None:
    client.post("/en/contact/", {"email": "claire@example.net", "text": "My box is blinking."})
    assert Conversation.objects.get().language == "en"


@pytest.mark.parametrize(
    ("local", "open_now", "next_opening"),
    [
        (
            datetime(2026, 11, 23, 10, 0, tzinfo=PARIS),
            True,
            datetime(2026, 11, 23, 10, 0, tzinfo=PARIS),
        ),
        (
            datetime(2026, 11, 23, 21, 0, tzinfo=PARIS),
            False,
            datetime(2026, 11, 24, 8, 0, tzinfo=PARIS),
        ),
        (
            datetime(2026, 11, 28, 17, 59, tzinfo=PARIS),
            True,
            datetime(2026, 11, 28, 17, 59, tzinfo=PARIS),
        ),
        (
            datetime(2026, 11, 28, 18, 0, tzinfo=PARIS),
            False,
            datetime(2026, 11, 30, 8, 0, tzinfo=PARIS),
        ),
        (
            datetime(2026, 11, 29, 12, 0, tzinfo=PARIS),
            False,
            datetime(2026, 11, 30, 8, 0, tzinfo=PARIS),
        ),
        (
            datetime(2026, 11, 24, 6, 30, tzinfo=PARIS),
            False,
            datetime(2026, 11, 24, 8, 0, tzinfo=PARIS),
        ),
    ],
)
def test_availability_tells_the_truth_about_business_hours(
    local: datetime, open_now: bool, next_opening: datetime, db: None
) -> None:
    result = availability(local)
    assert result.open_now is open_now
    assert result.next_opening == next_opening
