"""Whole calls played as a provider plays them: signed form posts following each
`<Gather action>`, the caller's keys and words, and what Ponton answers in TwiML."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from ponton.conftest import KB
from ponton.connectors.voice.models import Call, CallStatus, Outcome
from ponton.connectors.voice.tests.conftest import CLAIRE_PHONE
from ponton.connectors.voice.tests.fake_provider import FakeProvider, spoken
from ponton.conversations.models import ConversationChannel, HandoffReason, State, Status
from ponton.insights.kpis import direct_totals, roll_up, rollup_totals
from ponton.insights.periods import Filters, Period
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.tasks.models import Task

FORM = "application/x-www-form-urlencoded"


def _provider(client: Client, sid: str, number: str = CLAIRE_PHONE) -> FakeProvider:
    return FakeProvider(client, call_sid=sid, from_number=number)


def _period(hours: int = 2) -> Period:
    now = timezone.now()
    return Period(now - timedelta(hours=hours), now + timedelta(hours=hours))


@pytest.mark.usefixtures("open_hours")
def test_a_routine_question_is_answered_in_the_menu_and_confirmed(
    client: Client, kb: KB, caller: Any, online: Any, django_capture_on_commit_callbacks: Any
) -> None:
    provider = _provider(client, "CA" + "1" * 32)
    greeting = provider.call()
    words = spoken(greeting)
    assert "0" in words and "assistant" in words.lower()  # automated, and a person one key away
    assert greeting.find("Gather").attrib["language"] == "fr-FR"

    answer = provider.say("j'ai oublié mon mot de passe")
    heard = spoken(answer)
    assert "Mot de passe oublié" in heard
    assert "http" not in heard and "**" not in heard  # phrased for the ear
    assert "e-mail, tapez 3" in heard  # Claire's account has an address
    assert "tapez 1 pour oui" in heard.lower() and "0 pour parler à un conseiller" in heard

    with django_capture_on_commit_callbacks(execute=True):
        provider.press("3")  # the link by email
    assert "Le lien part vers l'adresse e-mail de votre compte" in spoken(provider.last)
    task = Task.objects.get(name="conversations.email_reply")
    call = Call.objects.get(sid=provider.call_sid)
    link = call.conversation.messages.get(pk=task.kwargs["message_id"])
    assert kb.password_fr.slug in link.text and link.text.count("http") == 1

    done = provider.press("1")
    assert done.find("Hangup") is not None
    provider.hang_up(duration=75)

    call.refresh_from_db()
    conversation = call.conversation
    assert conversation.channel == ConversationChannel.PHONE
    assert conversation.customer == caller
    assert (conversation.state, conversation.status) == (State.CLOSED, Status.SOLVED)
    assert (call.status, call.outcome, call.duration_seconds) == (
        CallStatus.ENDED,
        Outcome.RESOLVED_IN_MENU,
        75,
    )
    kinds = list(JourneyEvent.objects.filter(customer=caller).values_list("kind", "channel"))
    assert (EventKind.SELFCARE_RESOLVED, "phone") in kinds
    assert (EventKind.CALL, "phone") in kinds
    # The selfcare KPIs count the voice menu like any surface: an autonomous resolution.
    totals, _daily = direct_totals(_period(), Filters(channel="phone"))
    assert (totals.sessions, totals.attempts, totals.resolved, totals.escalated) == (1, 1, 1, 0)
    assert totals.used_voice_menu == 1
    # The rollup keeps the same figures (the funnel's voice-menu step included).
    roll_up(now=timezone.now() + timedelta(hours=2))
    rolled, _daily = rollup_totals(_period(), Filters(channel="phone"))
    assert rolled == totals


@pytest.mark.usefixtures("open_hours")
def test_zero_at_the_first_prompt_reaches_a_person_who_knows_the_caller_and_their_web_journey(
    client: Client, kb: KB, caller: Any, online: Any
) -> None:
    web = Client()
    web.force_login(caller)
    web.get("/fr/search", {"q": "facture introuvable"}, follow=True)
    web.get(f"/fr/a/{kb.invoice_fr.slug}/", follow=True)

    provider = _provider(client, "CA" + "2" * 32)
    provider.call()
    handover = provider.press("0")

    call = Call.objects.get(sid=provider.call_sid)
    conversation = call.conversation
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.channel == ConversationChannel.PHONE
    assert conversation.customer == caller
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    assert conversation.person_requests == 1  # honoured the first time
    packet = conversation.context
    assert packet["customer"]["customer_number"] == "40012345"
    assert packet["customer"]["phone"] == "06 12 34 56 78"
    assert [s["query"] for s in packet["searches"]] == ["facture introuvable"]
    assert [a["title"] for a in packet["articles_viewed"]] == [kb.invoice_fr.title]
    # An advisor is online: the call is put through to the team's queue.
    enqueue = handover.find("Enqueue")
    assert enqueue is not None and enqueue.text
    assert "conseiller" in spoken(handover)


@pytest.mark.usefixtures("open_hours")
def test_zero_pressed_at_once_is_a_handoff_without_a_selfcare_attempt(
    client: Client, kb: KB, online: Any
) -> None:
    provider = _provider(client, "CA" + "3" * 32, number="+33700000001")
    provider.call()
    provider.press("0")
    provider.hang_up()
    totals, _daily = direct_totals(_period(), Filters(channel="phone"))
    assert (totals.sessions, totals.attempts, totals.handed_off, totals.escalated) == (1, 0, 1, 0)


@pytest.mark.usefixtures("open_hours")
def test_an_upset_caller_goes_to_a_person_without_a_menu(
    client: Client, kb: KB, online: Any
) -> None:
    provider = _provider(client, "CA" + "4" * 32, number="+33700000002")
    provider.call()
    handover = provider.say(
        "c'est inadmissible, ça fait trois fois que j'appelle pour la même panne, je suis furieux"
    )
    call = Call.objects.get(sid=provider.call_sid)
    conversation = call.conversation
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason in (HandoffReason.EMOTION, HandoffReason.REPEAT_CONTACT)
    assert conversation.customer is None and conversation.name == "07 00 00 00 02"
    assert handover.find("Enqueue") is not None
    assert handover.find("Gather") is None  # no menu, no "did that help?"
    assert "ai pas de réponse" not in spoken(handover)


@pytest.mark.usefixtures("open_hours")
@pytest.mark.parametrize("words", ["je voudrais parler à un conseiller", "quelqu'un"])
def test_asking_for_a_person_in_words_is_honoured_the_first_time(
    client: Client, kb: KB, online: Any, words: str
) -> None:
    provider = _provider(client, "CA" + "5" * 32, number="+33700000003")
    provider.call()
    provider.say("comment télécharger ma facture")
    handover = provider.say(words)
    conversation = Call.objects.get(sid=provider.call_sid).conversation
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.person_requests == 1
    assert handover.find("Enqueue") is not None


@pytest.mark.usefixtures("closed_hours")
def test_outside_hours_the_caller_books_a_callback_on_the_keypad(
    client: Client, kb: KB, caller: Any
) -> None:
    provider = _provider(client, "CA" + "6" * 32)
    provider.call()
    away = provider.press("0")
    words = spoken(away)
    assert "absents jusqu'à lundi" in words
    assert "rappelé" in words and "message" in words
    slots = provider.press("1")
    assert "tapez 1 pour lundi 17 mars" in spoken(slots).lower()
    booked = provider.press("2")
    assert booked.find("Hangup") is not None
    call = Call.objects.get(sid=provider.call_sid)
    assert call.outcome == Outcome.CALLBACK_BOOKED
    callback = call.callback
    assert callback.conversation == call.conversation and callback.customer == caller
    assert callback.phone == "06 12 34 56 78"
    assert callback.starts_at == datetime.fromisoformat(call.choices[1])
    assert JourneyEvent.objects.filter(kind=EventKind.CALLBACK_REQUEST, customer=caller).exists()


@pytest.mark.usefixtures("closed_hours")
def test_a_voice_message_is_kept_as_a_link_to_the_recording(client: Client, kb: KB) -> None:
    provider = _provider(client, "CA" + "7" * 32, number="+33700000004")
    provider.call()
    provider.press("0")
    record = provider.press("2")
    assert record.find("Record") is not None
    provider.follow(
        "Record", RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"
    )
    assert provider.last is not None and provider.last.find("Hangup") is not None
    call = Call.objects.get(sid=provider.call_sid)
    assert call.outcome == Outcome.VOICE_MESSAGE
    assert call.recording_url.endswith("/Recordings/RE1")
    assert call.conversation.state == State.WAITING_HUMAN


@pytest.mark.usefixtures("open_hours")
def test_two_silences_are_not_a_dead_end(client: Client, kb: KB, online: Any) -> None:
    provider = _provider(client, "CA" + "8" * 32, number="+33700000005")
    provider.call()
    again = provider.stay_silent()
    assert "pas compris" in spoken(again) or "rien entendu" in spoken(again)
    handover = provider.stay_silent()
    assert Call.objects.get(sid=provider.call_sid).conversation.state == State.WAITING_HUMAN
    assert handover.find("Enqueue") is not None


@pytest.mark.usefixtures("open_hours")
def test_nine_switches_to_english(client: Client, kb: KB, online: Any) -> None:
    provider = _provider(client, "CA" + "9" * 32, number="+447700900123")
    provider.call()
    english = provider.press("9")
    assert english.find("Gather").attrib["language"] == "en-GB"
    answer = provider.say("I forgot my password")
    assert "Forgotten password" in spoken(answer)


@pytest.mark.usefixtures("open_hours")
def test_an_agents_own_line_is_dialled_when_routing_gives_them_the_call(
    client: Client, kb: KB, caller: Any, online: Any
) -> None:
    from ponton.connectors.voice.models import AgentLine

    AgentLine.objects.create(user=online, sip="sip:karim@pbx.example.com")
    caller.profile.referent_advisor = online
    caller.profile.save()
    provider = _provider(client, "CA" + "a" * 32)
    provider.call()
    handover = provider.press("0")
    conversation = Call.objects.get(sid=provider.call_sid).conversation
    assert conversation.assignee == online
    dial = handover.find("Dial")
    assert dial is not None and dial.find("Sip").text == "sip:karim@pbx.example.com"
    # Nobody picks up: the caller is not lost, they join the queue.
    fallback = provider.follow("Dial", DialCallStatus="no-answer")
    assert fallback.find("Enqueue") is not None


def test_an_unsigned_request_is_refused(client: Client, kb: KB) -> None:
    provider = _provider(client, "CA" + "b" * 32)
    assert provider.post("/api/v1/voice/incoming", sign=False).status_code == 403
    assert not Call.objects.exists()


def test_a_badly_signed_request_is_refused(client: Client, kb: KB) -> None:
    fields = {"CallSid": "CA" + "c" * 32, "From": CLAIRE_PHONE, "To": "+33199001234"}
    response = client.post(
        "/api/v1/voice/incoming",
        urlencode(fields),
        content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl",
    )
    assert response.status_code == 403
    # Signed for another step: the signature covers the URL.
    provider = _provider(client, "CA" + "c" * 32)
    provider.call()
    from twilio.request_validator import RequestValidator

    good_for_need = RequestValidator("provider-auth-token").compute_signature(
        "http://testserver/api/v1/voice/menu/need", {**provider._fields(), "Digits": "0"}
    )
    response = client.post(
        "/api/v1/voice/menu/feedback",
        urlencode({**provider._fields(), "Digits": "0"}),
        content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE=good_for_need,
    )
    assert response.status_code == 403


def test_without_an_auth_token_every_webhook_is_refused(
    client: Client, kb: KB, settings: Any
) -> None:
    provider = _provider(client, "CA" + "d" * 32)
    settings.PONTON_VOICE_AUTH_TOKEN = ""
    response = client.post(
        "/api/v1/voice/incoming", urlencode(provider._fields()), content_type=FORM
    )
    assert response.status_code == 403


@pytest.mark.usefixtures("open_hours")
def test_what_callers_said_and_the_menu_could_not_answer_feeds_the_gaps(
    client: Client, kb: KB, online: Any
) -> None:
    from ponton.insights.gaps import gaps

    provider = _provider(client, "CA" + "e" * 32, number="+33700000006")
    provider.call()
    unknown = provider.say("je voudrais offrir une carte cadeau à ma soeur")
    assert "pas de réponse" in spoken(unknown) and "tapez 0" in spoken(unknown)
    found = [w for gap in gaps(_period()) for w in gap.questions]
    assert "je voudrais offrir une carte cadeau à ma soeur" in found


def test_during_an_incident_callers_hear_it_first_and_about_it_get_the_notice_with_zero_kept(
    client: Client,
    kb: KB,
    caller: Any,
    online: Any,
    supervisor: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from ponton.status import services as status

    fibre = status.add_component(
        name_fr="Internet fibre", name_en="Fibre internet", keywords="fibre, internet, connexion"
    )
    with django_capture_on_commit_callbacks(execute=True):
        status.declare_incident(
            status.IncidentFields(
                title_fr="Panne fibre à Lyon",
                title_en="Fibre outage in Lyon",
                message_fr="Nos équipes sont sur place.",
                message_en="Our teams are on site.",
                impact="major_outage",
                components=[fibre],
            ),
            by=supervisor,
        )
    provider = _provider(client, "CA" + "7" * 32)

    greeting = spoken(provider.call())
    answer = spoken(provider.say("ma connexion fibre ne marche plus"))

    assert "Un incident connu est en cours : Panne fibre à Lyon." in greeting
    assert "0" in greeting
    assert "Panne fibre à Lyon" in answer or "Nos équipes sont sur place" in answer
    assert "0" in answer  # a person still one key away


def test_an_unknown_caller_put_through_can_be_called_back_on_their_number(
    client: Client, kb: KB, online: Any, agent: Any
) -> None:
    provider = _provider(client, "CA" + "8" * 32, number="+33600000042")
    provider.call()
    provider.press("0")

    conversation = Call.objects.get(sid=provider.call_sid).conversation
    assert conversation.phone == "+33600000042"
    page = Client()
    page.force_login(agent)
    html = page.get(f"/fr/agent/c/{conversation.pk}/").content.decode()
    assert 'href="tel:+33600000042"' in html and "Seulement ici" not in html
