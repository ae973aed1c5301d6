"""WhatsApp end to end: Meta's deliveries in (signed as Meta signs them), the assistant's
answers, the way to a person, agents' replies and the 24-hour window out, against a local
stand-in for the Graph API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from ponton.conftest import KB
from ponton.connectors.messaging.models import Delivery, Direction, MessagingRecord
from ponton.connectors.whatsapp.tests.conftest import (
    CLAIRE_WA,
    PHONE_NUMBER_ID,
    TOKEN,
    GraphAPI,
    deliver,
    message_payload,
    status_payload,
    text,
)
from ponton.conversations import lifecycle
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
)
from ponton.insights import kpis
from ponton.privacy import erasure
from ponton.tasks.models import Task, TaskStatus
from ponton.tasks.services import run_due

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday morning: advisors work.
OPEN = datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)
FOOTER_FR = "Répondez 0 ou CONSEILLER pour parler à un conseiller"
FOOTER_EN = "Reply 0 or AGENT to talk to a person"

Run = Callable[[Callable[[], Any]], Any]


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Run:
    """Do something as a request would (its after-commit work included), then let the
    task queue work until nothing is due."""

    def running(work: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = work()
        for _ in range(10):
            with django_capture_on_commit_callbacks(execute=True):
                if not run_due():
                    break
        return result

    return running


@pytest.fixture
def claire(customer: Any) -> Any:
    """Claire, recognised by the mobile number in her profile (typed her own way)."""
    customer.profile.phone = "06 12 34 56 78"
    customer.profile.save()
    return customer


def _conversation() -> Conversation:
    return Conversation.objects.get(channel=ConversationChannel.WHATSAPP)


def test_meta_subscription_check_echoes_the_challenge_only_with_our_verify_token(
    client: Client, graph_api: GraphAPI
) -> None:
    url = "/api/v1/channels/whatsapp/webhook"
    ok = client.get(
        url,
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200
    assert ok.content == b"1158201444"
    wrong = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    )
    assert wrong.status_code == 403
    assert b"1158201444" not in wrong.content


def test_a_delivery_unsigned_or_signed_with_another_secret_is_refused_and_stores_nothing(
    client: Client, graph_api: GraphAPI
) -> None:
    payload = message_payload(text("Bonjour", "wamid.forged"), at=OPEN)
    assert deliver(client, payload, secret=None).status_code == 403
    assert deliver(client, payload, secret="not-the-app-secret").status_code == 403
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_a_routine_question_is_answered_on_whatsapp_with_the_way_to_a_person(
    client: Client, claire: Any, kb: KB, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        payload = message_payload(text("J'ai oublié mon mot de passe", "wamid.q1"), at=OPEN)
        response = run(lambda: deliver(client, payload))
    assert response.status_code == 200
    conversation = _conversation()
    assert conversation.customer == claire  # recognised by her number
    assert conversation.phone == "+33612345678"
    assert conversation.state == State.ASSISTANT
    [sent] = graph_api.sent
    assert sent["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent["auth"] == f"Bearer {TOKEN}"
    body = sent["json"]
    assert {k: v for k, v in body.items() if k != "text"} == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CLAIRE_WA,
        "type": "text",
    }
    answer = body["text"]["body"]
    assert body["text"]["preview_url"] is True
    assert f"https://help.example.com/fr/a/{kb.password_fr.slug}/" in answer
    assert answer.endswith(FOOTER_FR)
    record = MessagingRecord.objects.get(direction=Direction.OUTBOUND)
    assert (record.provider_id, record.delivery) == ("wamid.out1", Delivery.SENT)

    # The same delivery again (Meta retries): nothing stored or sent twice.
    with time_machine.travel(OPEN + timedelta(seconds=30), tick=False):
        run(lambda: deliver(client, payload))
    assert conversation.messages.filter(author=Author.CUSTOMER).count() == 1
    assert len(graph_api.sent) == 1


def test_conseiller_reaches_a_person_at_once_with_the_context_packet(
    client: Client, claire: Any, kb: KB, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("mdp oublié", "wamid.q1"), at=OPEN)))
        later = OPEN + timedelta(minutes=1)
        run(lambda: deliver(client, message_payload(text("Conseiller !", "wamid.q2"), at=later)))
    conversation = _conversation()
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    packet = conversation.context
    assert any("mdp oublié" in turn["text"] for turn in packet["transcript"])
    assert packet["customer"]["email"] == claire.email
    # The customer is told, on WhatsApp, that a person has it.
    notice = graph_api.bodies()[-1]["text"]["body"]
    assert f"{conversation.pk} à nos conseillers" in notice
    assert FOOTER_FR not in notice  # a person's turn now, not the assistant's


def test_zero_as_a_first_message_opens_a_request_for_a_person(
    client: Client, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(
            lambda: deliver(
                client, message_payload(text("0", "wamid.z"), at=OPEN, sender="447700900123")
            )
        )
    conversation = _conversation()
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.customer is None and conversation.phone == "+447700900123"
    assert conversation.language == "en"  # a British number, nothing else to go by
    assert graph_api.bodies()[0]["to"] == "447700900123"


def test_the_agents_reply_goes_out_through_the_graph_api_and_its_statuses_are_recorded(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("AGENT", "wamid.q1"), at=OPEN)))
        conversation = _conversation()
        client.force_login(agent)
        reply = "Bonjour Claire, je regarde votre compte."
        response = run(lambda: client.post(f"/fr/agent/c/{conversation.pk}/reply", {"text": reply}))
        assert response.status_code == 302
    body = graph_api.bodies()[-1]
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CLAIRE_WA,
        "type": "text",
        "text": {"preview_url": True, "body": f"Karim (Ponton) : {reply}"},
    }
    message = Message.objects.get(author=Author.AGENT)
    wamid = message.messaging_record.provider_id
    with time_machine.travel(OPEN + timedelta(minutes=2), tick=False):
        read_at = OPEN + timedelta(minutes=2)
        run(lambda: deliver(client, status_payload(wamid, "read", at=read_at)))
        # Meta's "delivered" may come after "read": it never hides it.
        run(lambda: deliver(client, status_payload(wamid, "delivered", at=read_at)))
    record = MessagingRecord.objects.get(message=message)
    assert record.delivery == Delivery.READ
    assert record.read_at == read_at and record.delivered_at == read_at


def test_a_failed_status_is_recorded_and_told_to_the_agents(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("AGENT", "wamid.q1"), at=OPEN)))
        conversation = _conversation()
        message = run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Bonjour"))
        wamid = MessagingRecord.objects.get(message=message).provider_id
        failure = status_payload(
            wamid,
            "failed",
            at=OPEN,
            errors=[{"code": 131026, "title": "Message undeliverable"}],
        )
        run(lambda: deliver(client, failure))
    record = MessagingRecord.objects.get(message=message)
    assert record.delivery == Delivery.FAILED
    assert "131026 Message undeliverable" in record.last_error
    note = conversation.messages.filter(internal=True).order_by("-id").first()
    assert note is not None and "131026" in note.text


def test_a_provider_outage_is_retried_with_backoff_and_sent_once(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("AGENT", "wamid.q1"), at=OPEN)))
        conversation = _conversation()
        before = len(graph_api.sent)
        graph_api.fail_next.append((503, {"error": {"message": "Service unavailable", "code": 2}}))
        message = run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Bonjour"))
        record = MessagingRecord.objects.get(message=message)
        assert record.delivery == Delivery.RETRYING
        assert "Service unavailable" in record.last_error
    with time_machine.travel(OPEN + timedelta(minutes=1), tick=False):
        run(lambda: None)
    record.refresh_from_db()
    assert record.delivery == Delivery.SENT
    assert len(graph_api.sent) == before + 2  # the failed try and the good one
    task = Task.objects.get(name="whatsapp.send", kwargs={"message_id": message.pk})
    assert task.status == TaskStatus.DONE


def test_a_reply_the_provider_never_takes_is_tried_ten_times_over_85_minutes_then_told(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("AGENT", "wamid.q1"), at=OPEN)))
        conversation = _conversation()
        before = len(graph_api.sent)
        graph_api.fail_next.extend([(503, {"error": {"message": "Unavailable", "code": 2}})] * 10)
        message = run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Bonjour"))
    tried_at = [OPEN]
    for _retry in range(9):
        task = Task.objects.get(name="whatsapp.send", kwargs={"message_id": message.pk})
        assert task.status == TaskStatus.PENDING
        tried_at.append(task.run_after)
        with time_machine.travel(task.run_after, tick=False):
            run(lambda: None)
    # 10 s after the first failure, then twice as long each time: as the README says.
    gaps = [later - earlier for earlier, later in pairwise(tried_at)]
    assert gaps == [timedelta(seconds=10 * 2**n) for n in range(9)]
    assert timedelta(minutes=85) <= tried_at[-1] - OPEN < timedelta(minutes=86)
    assert len(graph_api.sent) == before + 10
    record = MessagingRecord.objects.get(message=message)
    assert (record.delivery, record.attempts) == (Delivery.FAILED, 10)
    note = conversation.messages.filter(internal=True).order_by("-id").first()
    assert note is not None and "Unavailable" in note.text


def test_outside_the_24_hour_window_the_reply_waits_and_the_approved_template_invites(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run, settings: Any
) -> None:
    settings.PONTON_WHATSAPP_TEMPLATE = "ponton_reply"
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("CONSEILLER", "wamid.q1"), at=OPEN)))
        conversation = _conversation()
    sent_before = len(graph_api.sent)
    # A minute before the window closes, the reply goes out as written.
    with time_machine.travel(OPEN + timedelta(hours=23, minutes=59), tick=False):
        run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Premier"))
    assert graph_api.bodies()[-1]["type"] == "text"
    # A day and a minute after her last message: only the template may go.
    late = OPEN + timedelta(hours=24, minutes=1)
    with time_machine.travel(late, tick=False):
        held = run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Second"))
        run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Troisième"))
    assert graph_api.bodies()[sent_before + 1 :] == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": CLAIRE_WA,
            "type": "template",
            "template": {
                "name": "ponton_reply",
                "language": {"code": "fr"},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": str(conversation.pk)}]}
                ],
            },
        }
    ]  # one invitation for both replies
    assert MessagingRecord.objects.get(message=held).delivery == Delivery.HELD
    note = conversation.messages.filter(internal=True).order_by("-id").first()
    assert note is not None and "« ponton_reply »" in note.text and "24 heures" in note.text

    # She answers the invitation: what waited goes out, in order.
    with time_machine.travel(late + timedelta(hours=2), tick=False):
        answer = message_payload(text("Oui ?", "wamid.q2"), at=late + timedelta(hours=2))
        run(lambda: deliver(client, answer))
    assert [b["text"]["body"] for b in graph_api.bodies()[-2:]] == [
        "Karim (Ponton) : Second",
        "Karim (Ponton) : Troisième",
    ]
    assert MessagingRecord.objects.get(message=held).delivery == Delivery.SENT


def test_without_a_template_a_late_reply_is_not_sent_and_the_agent_is_told(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("CONSEILLER", "wamid.q1"), at=OPEN)))
        conversation = _conversation()
    sent_before = len(graph_api.sent)
    with time_machine.travel(OPEN + timedelta(days=2), tick=False):
        message = run(lambda: lifecycle.reply_as_agent(conversation, agent=agent, text="Tard"))
    assert len(graph_api.sent) == sent_before
    assert MessagingRecord.objects.get(message=message).delivery == Delivery.FAILED
    note = conversation.messages.filter(internal=True).order_by("-id").first()
    assert note is not None and "24 heures" in note.text and "configuré" in note.text


def test_a_photo_becomes_an_attachment_and_a_voice_note_is_refused_with_the_reason(
    client: Client, claire: Any, graph_api: GraphAPI, run: Run
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    graph_api.media["1601"] = (png, "image/png")
    graph_api.media["1602"] = (b"OggS" + b"\x00" * 64, "audio/ogg; codecs=opus")
    photo = {
        "id": "wamid.p1",
        "type": "image",
        "image": {"id": "1601", "mime_type": "image/png", "caption": "Ma box clignote"},
    }
    voice = {"id": "wamid.p2", "type": "audio", "audio": {"id": "1602", "mime_type": "audio/ogg"}}
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(photo, at=OPEN)))
        run(lambda: deliver(client, message_payload(voice, at=OPEN)))
    conversation = _conversation()
    first = conversation.messages.filter(author=Author.CUSTOMER).order_by("id")[0]
    assert first.text == "Ma box clignote"
    [attachment] = first.attachments.all()
    assert attachment.content_type == "image/png"
    with attachment.file.open("rb") as stored:
        assert stored.read() == png
    note = conversation.messages.filter(internal=True).order_by("-id").first()
    assert note is not None and "audio-1.ogg" in note.text


def test_an_interactive_reply_picks_the_offered_choice(
    client: Client, claire: Any, kb: KB, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("mdp oublié", "wamid.q1"), at=OPEN)))
        answer = graph_api.bodies()[-1]["text"]["body"]
        assert "1. " in answer  # the choices by number
        button = {
            "id": "wamid.q2",
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "resolved", "title": "Oui, résolu"},
            },
        }
        run(lambda: deliver(client, message_payload(button, at=OPEN)))
    conversation = _conversation()
    assert conversation.state == State.CLOSED
    assert conversation.messages.filter(choice="resolved").exists()


def test_the_assistant_speaks_english_to_an_english_customer(
    client: Client, claire: Any, kb: KB, graph_api: GraphAPI, run: Run
) -> None:
    claire.language = "en"
    claire.save()
    with time_machine.travel(OPEN, tick=False):
        run(
            lambda: deliver(
                client, message_payload(text("I forgot my password", "wamid.e"), at=OPEN)
            )
        )
    answer = graph_api.bodies()[-1]["text"]["body"]
    assert answer.endswith(FOOTER_EN)
    assert f"/en/a/{kb.password_en.slug}/" in answer


def test_the_agent_sees_whether_the_24_hour_window_is_open_above_the_reply_box(
    client: Client, claire: Any, agent: Any, graph_api: GraphAPI, run: Run, settings: Any
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("CONSEILLER", "wamid.q1"), at=OPEN)))
    conversation = _conversation()
    client.force_login(agent)
    with time_machine.travel(OPEN + timedelta(hours=3), tick=False):
        page = client.get(f"/fr/agent/c/{conversation.pk}/").content.decode()
    assert 'data-whatsapp-window="open"' in page
    assert "librement jusqu\N{RIGHT SINGLE QUOTATION MARK}au 12 mars, 10:00" in page
    settings.PONTON_WHATSAPP_TEMPLATE = "ponton_reply"
    with time_machine.travel(OPEN + timedelta(hours=25), tick=False):
        page = client.get(f"/fr/agent/c/{conversation.pk}/").content.decode()
    assert 'data-whatsapp-window="closed"' in page
    assert "le client reçoit le modèle approuvé" in page


def test_insights_filter_whatsapp_and_sms_like_every_channel(
    client: Client, supervisor: Any, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        stranger = message_payload(text("Bonjour", "wamid.s"), at=OPEN, sender="33699887766")
        run(lambda: deliver(client, stranger))
    period = kpis.Period(OPEN - timedelta(hours=1), OPEN + timedelta(hours=1))
    whatsapp = kpis.quantities(period, kpis.Filters(channel="whatsapp"), source="direct")
    sms = kpis.quantities(period, kpis.Filters(channel="sms"), source="direct")
    assert (whatsapp["sessions"], sms["sessions"]) == (1, 0)
    client.force_login(supervisor)
    page = client.get("/fr/manage/insights/").content.decode()
    assert '<option value="whatsapp" >WhatsApp</option>' in page
    assert '<option value="sms" >SMS</option>' in page


def test_erasing_the_customer_forgets_her_number_on_every_whatsapp_record(
    client: Client, claire: Any, kb: KB, graph_api: GraphAPI, run: Run
) -> None:
    with time_machine.travel(OPEN, tick=False):
        run(lambda: deliver(client, message_payload(text("mdp oublié", "wamid.q1"), at=OPEN)))
    assert MessagingRecord.objects.filter(number="+33612345678").count() == 2
    counts = erasure.erase(claire.email)
    assert counts["texts"] == 2
    assert not MessagingRecord.objects.exclude(number="").exists()
    assert not Conversation.objects.exclude(phone="").exists()
