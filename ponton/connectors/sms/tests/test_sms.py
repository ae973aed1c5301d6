"""SMS end to end: the provider's signed form posts in, texts out through its
Twilio-compatible REST API (a local stand-in), status callbacks recorded."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from ponton.conftest import KB
from ponton.connectors.messaging.models import Delivery, MessagingRecord
from ponton.conversations import lifecycle
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    State,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import timeline
from ponton.tasks.services import run_due

PARIS = ZoneInfo("Europe/Paris")
OPEN = datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)
FOOTER_FR = "Répondez 0 ou CONSEILLER pour parler à un conseiller"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class _Provider(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        self.received.append(
            {"path": self.path, "auth": auth, "form": {k: v[0] for k, v in parse_qs(body).items()}}
        )
        sid = f"SM{len(self.received):032d}"
        self._answer(201, json.dumps({"sid": sid, "status": "queued"}).encode(), "application/json")

    def do_GET(self) -> None:  # an MMS picture, behind the account's credentials
        if self.headers.get("Authorization") is None:
            self._answer(401, b"", "text/plain")
            return
        self._answer(200, PNG, "image/png")

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def provider(settings: Any, db: None) -> Iterator[list[dict[str, Any]]]:
    _Provider.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SITE_URL = "https://help.example.com"
    settings.PONTON_VOICE_AUTH_TOKEN = "provider-auth-token"
    settings.PONTON_VOICE_ACCOUNT_SID = "AC123"
    settings.PONTON_SMS_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.PONTON_SMS_NUMBER = "+33757000111"
    try:
        yield _Provider.received
    finally:
        server.shutdown()
        server.server_close()


def post(client: Client, path: str, fields: dict[str, str], *, signed: bool = True) -> Any:
    headers = {}
    if signed:
        url = settings.SITE_URL + path
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(
            settings.PONTON_VOICE_AUTH_TOKEN
        ).compute_signature(url, fields)
    return client.post(
        path, urlencode(fields), content_type="application/x-www-form-urlencoded", **headers
    )


def sms(body: str, sid: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC123",
        "From": "+33612345678",
        "To": "+33757000111",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


Run = Callable[[Callable[[], Any]], Any]


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Run:
    def running(work: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = work()
        for _ in range(10):
            with django_capture_on_commit_callbacks(execute=True):
                if not run_due():
                    break
        return result

    return running


def test_a_text_without_the_providers_signature_is_refused(
    client: Client, provider: list[dict[str, Any]]
) -> None:
    response = post(client, "/api/v1/channels/sms/incoming", sms("Bonjour", "SM1"), signed=False)
    assert response.status_code == 403
    signed = post(client, "/api/v1/channels/sms/incoming", sms("Bonjour", "SM1"))
    assert signed.status_code == 200  # the same text, signed, is taken
    assert not provider  # nothing sent before the task queue runs


def test_a_routine_question_by_sms_is_answered_and_0_reaches_a_person(
    client: Client, customer: Any, kb: KB, provider: list[dict[str, Any]], run: Run
) -> None:
    customer.profile.phone = "+33 6 12 34 56 78"
    customer.profile.save()
    with time_machine.travel(OPEN, tick=False):
        response = run(
            lambda: post(client, "/api/v1/channels/sms/incoming", sms("mot de passe oublié", "SM1"))
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/xml")
    conversation = Conversation.objects.get(channel=ConversationChannel.SMS)
    assert conversation.customer == customer
    [answer] = provider
    assert answer["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert answer["auth"] == "AC123:provider-auth-token"
    form = answer["form"]
    assert (form["From"], form["To"]) == ("+33757000111", "+33612345678")
    assert form["StatusCallback"] == "https://help.example.com/api/v1/channels/sms/status"
    assert f"https://help.example.com/fr/a/{kb.password_fr.slug}/" in form["Body"]
    assert form["Body"].endswith(FOOTER_FR)

    with time_machine.travel(OPEN + timedelta(minutes=1), tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("0", "SM2")))
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    assert any("mot de passe oublié" in t["text"] for t in conversation.context["transcript"])
    assert "conseiller" in provider[-1]["form"]["Body"]


def test_the_agents_reply_leaves_by_sms_and_the_status_callback_is_recorded(
    client: Client, agent: Any, provider: list[dict[str, Any]], run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("CONSEILLER", "SM1")))
        conversation = Conversation.objects.get(channel=ConversationChannel.SMS)
        message = run(
            lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Je vous rappelle.")
        )
    assert provider[-1]["form"]["Body"] == "Karim (Ponton) : Je vous rappelle."
    record = MessagingRecord.objects.get(message=message)
    assert record.delivery == Delivery.SENT
    status = {"MessageSid": record.provider_id, "MessageStatus": "delivered", "AccountSid": "AC123"}
    assert post(client, "/api/v1/channels/sms/status", status, signed=False).status_code == 403
    with time_machine.travel(OPEN + timedelta(seconds=20), tick=False):
        assert post(client, "/api/v1/channels/sms/status", status).status_code == 200
    record.refresh_from_db()
    assert record.delivery == Delivery.DELIVERED
    assert record.delivered_at == OPEN + timedelta(seconds=20)

    undelivered = {**status, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    run(lambda: post(client, "/api/v1/channels/sms/status", undelivered))
    record.refresh_from_db()
    assert (record.delivery, record.last_error) == (Delivery.FAILED, "error 30003")
    note = conversation.messages.filter(internal=True).order_by("-id").first()
    assert note is not None and "30003" in note.text


def test_a_picture_sent_by_mms_is_fetched_with_the_account_and_stored(
    client: Client, provider: list[dict[str, Any]], run: Run
) -> None:
    picture = f"{settings.PONTON_SMS_API_URL}/2010-04-01/Accounts/AC123/Messages/MM1/Media/ME1"
    fields = sms("", "MM1", NumMedia="1", MediaUrl0=picture, MediaContentType0="image/png")
    with time_machine.travel(OPEN, tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", fields))
    message = Conversation.objects.get().messages.get(author=Author.CUSTOMER)
    [attachment] = message.attachments.all()
    assert (attachment.name, attachment.content_type) == ("image-1.png", "image/png")


def test_a_number_picks_the_offered_choice_while_the_assistant_has_the_conversation(
    client: Client, kb: KB, provider: list[dict[str, Any]], run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("mdp oublié", "SM1")))
        choices = provider[-1]["form"]["Body"]
        assert "2. Oui, c'est réglé" in choices
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("2", "SM2")))
    conversation = Conversation.objects.get()
    assert conversation.state == State.CLOSED
    assert conversation.messages.filter(choice="resolved").exists()


def test_once_a_person_has_it_a_number_is_only_what_the_customer_wrote(
    client: Client, kb: KB, provider: list[dict[str, Any]], run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("mdp oublié", "SM1")))
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("AGENT", "SM2")))
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("2", "SM3")))
    conversation = Conversation.objects.get()
    assert conversation.state == State.WAITING_HUMAN
    last = conversation.messages.filter(author=Author.CUSTOMER).order_by("-id")[0]
    assert (last.text, last.choice) == ("2", "")


def test_a_text_from_a_known_number_joins_that_customers_journey(
    client: Client, customer: Any, kb: KB, provider: list[dict[str, Any]], run: Run
) -> None:
    customer.profile.phone = "06 12 34 56 78"
    customer.profile.save()
    with time_machine.travel(OPEN, tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("mdp oublié", "SM1")))
    conversation = Conversation.objects.get()
    [event] = timeline(customer).filter(kind=EventKind.MESSAGE)
    assert (event.channel, event.data["conversation"]) == ("sms", conversation.pk)
    assert event.occurred_at == OPEN


def test_an_unknown_numbers_texts_are_one_visitors_journey_from_one_request_to_the_next(
    client: Client, kb: KB, provider: list[dict[str, Any]], run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("mdp oublié", "SM1")))
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("2", "SM2")))  # solved
    # Past the week a closed conversation continues for: a new request.
    with time_machine.travel(OPEN + timedelta(days=8), tick=False):
        run(lambda: post(client, "/api/v1/channels/sms/incoming", sms("ma facture", "SM3")))
    first, second = Conversation.objects.order_by("pk")
    messages = JourneyEvent.objects.filter(kind=EventKind.MESSAGE, data__author=Author.CUSTOMER)
    assert [e.data["conversation"] for e in messages] == [first.pk, first.pk, second.pk]
    assert {e.customer_id for e in messages} == {None}
    [visitor] = {e.visitor_id for e in messages}
    assert visitor
    # Nobody else's: another number is another visitor.
    with time_machine.travel(OPEN + timedelta(days=8), tick=False):
        run(
            lambda: post(
                client,
                "/api/v1/channels/sms/incoming",
                sms("Bonjour", "SM4", From="+33698765432"),
            )
        )
    other = JourneyEvent.objects.filter(kind=EventKind.MESSAGE).latest("id")
    assert other.visitor_id not in ("", visitor)
