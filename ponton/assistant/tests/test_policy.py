"""The dialogue policy, driven through the web chat API as the widget drives it.

Product laws 3 to 5 (DESIGN.md): a person at once when it matters, never the
same answer twice, a person offered after two failed attempts, a negated
request not mistaken for one, the customer's preference respected, and an
honest word on who answers and when.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import formats, timezone
from django.utils.translation import override

from ponton.accounts.models import Availability, User
from ponton.conftest import KB, make_article
from ponton.connectors.tests.test_webchat_api import (
    action_ids,
    last_assistant_turn,
    messages_url,
    read,
    send,
    start_chat,
)
from ponton.conversations import calendars
from ponton.conversations.models import Author, Conversation, HandoffReason, State
from ponton.conversations.presence import AVERAGE_HANDLING_MINUTES, staffing
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Article, Status
from ponton.knowledge.services import (
    TranslationFields,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def open_all_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The business calendar is data (calendars.DEFAULT_HOURS, which SLA calendars will
    replace): here advisors work every day, all day, so the test holds at any hour."""
    monkeypatch.setattr(calendars, "DEFAULT_HOURS", {day: (time.min, time.max) for day in range(7)})


@pytest.fixture
def closed_until_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    """A calendar with no hours left today: the next opening is tomorrow at 00:00."""
    monkeypatch.setattr(calendars, "DEFAULT_HOURS", {day: (time(0), time(0)) for day in range(7)})


def _online(user: User, *, seen: datetime | None = None) -> User:
    user.availability = Availability.ONLINE
    user.last_seen_at = seen or timezone.now()
    user.save(update_fields=["availability", "last_seen_at"])
    return user


def _article(kb: KB, agent: User, key: str, title: str, body: str, questions: list[str]) -> Article:
    fields = TranslationFields(title=title, body=body, questions=questions, status=Status.PUBLISHED)
    return make_article(key, kb.billing, agent, {"fr": fields})[0]


@pytest.fixture
def two_plans(kb: KB, agent: User) -> tuple[Article, Article]:
    """Two articles that answer the same words, so the assistant has to ask which one."""
    questions = ["changer mon forfait", "changer d'offre"]
    return (
        _article(
            kb,
            agent,
            "mobile-plan",
            "Changer de forfait mobile",
            "Pour changer de forfait mobile, ouvrez Mon Espace > Mobile.\n",
            questions,
        ),
        _article(
            kb,
            agent,
            "fibre-plan",
            "Changer d'offre fibre",
            "Pour changer d'offre fibre, ouvrez Mon Espace > Internet.\n",
            questions,
        ),
    )


def _assistant_texts(conversation_id: int) -> list[str]:
    return list(
        Conversation.objects.get(pk=conversation_id)
        .messages.filter(author=Author.ASSISTANT)
        .values_list("text", flat=True)
    )


@pytest.mark.parametrize(
    ("lang", "question", "reply"),
    [
        ("fr", "j'ai oublié mon mot de passe", "non ça ne m'aide pas"),
        ("fr", "j'ai oublié mon mot de passe", "Non."),
        ("en", "I forgot my password", "that didn't help"),
    ],
)
def test_saying_the_answer_did_not_help_counts_as_no_and_brings_no_unrelated_topic(
    client: Client, kb: KB, lang: str, question: str, reply: str
) -> None:
    chat = start_chat(client, question, lang=lang)

    body = send(client, chat, text=reply)

    turn = last_assistant_turn(body)
    assert not turn.get("articles")
    assert action_ids(turn) == ["human"]
    assert JourneyEvent.objects.filter(kind=EventKind.SELFCARE_NOT_RESOLVED).count() == 1


# Never repeat ----------------------------------------------------------------------------


def test_a_picked_choice_reads_in_the_transcript_as_what_the_customer_meant(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe", lang="fr")

    body = send(client, chat, action="not_resolved")

    said = next(m for m in body["messages"] if m["author"] == Author.CUSTOMER)
    assert said["text"] == "Non, ça n'a pas résolu mon problème."
    stored = Conversation.objects.get(pk=chat["id"]).messages.get(pk=said["id"])
    assert stored.choice == "not_resolved"


def test_the_assistant_never_sends_the_same_text_twice_in_a_conversation(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")
    send(client, chat, action="not_resolved")
    send(client, chat, text="Where is my invoice?")
    send(client, chat, text="change the wifi key")
    offer = send(client, chat, text="reset my password")  # already answered: not repeated

    assert offer["state"] == State.ASSISTANT
    assert action_ids(last_assistant_turn(offer)) == ["human"]
    texts = _assistant_texts(chat["id"])
    assert len(texts) == 5
    assert len(set(texts)) == len(texts)


def test_asking_the_same_ambiguous_question_twice_does_not_repeat_the_text(
    client: Client, two_plans: tuple[Article, Article]
) -> None:
    chat = start_chat(client, "changer mon forfait", lang="fr")
    assert {a["id"] for a in last_assistant_turn(chat)["articles"]} == {a.pk for a in two_plans}
    send(client, chat, text="changer d'offre")

    texts = _assistant_texts(chat["id"])
    assert len(texts) == 2
    assert texts[0] != texts[1]


def test_the_assistant_does_not_ask_the_same_clarifying_question_twice(
    client: Client, two_plans: tuple[Article, Article]
) -> None:
    chat = start_chat(client, "changer mon forfait", lang="fr")
    for text in ("changer d'offre", "je voudrais changer mon forfait"):
        send(client, chat, text=text)

    conversation = Conversation.objects.get(pk=chat["id"])
    choice_sets = [
        frozenset(action_ids({"actions": m.actions}))
        for m in conversation.messages.filter(author=Author.ASSISTANT)
        if any(a["id"].startswith("article:") for a in m.actions)
    ]
    assert len(choice_sets) == len(set(choice_sets))


def test_picking_an_old_clarifying_choice_again_does_not_offer_the_article_twice(
    client: Client, two_plans: tuple[Article, Article]
) -> None:
    chat = start_chat(client, "changer mon forfait", lang="fr")
    choice = next(a for a in action_ids(last_assistant_turn(chat)) if a.startswith("article:"))
    send(client, chat, action=choice)
    send(client, chat, action=choice)

    assert len(Conversation.objects.get(pk=chat["id"]).memory.offered_articles) == 1


def test_every_assistant_turn_offers_the_way_to_a_person(
    client: Client, two_plans: tuple[Article, Article]
) -> None:
    chat = start_chat(client, "changer mon forfait", lang="fr")  # clarify
    send(client, chat, action=f"article:{two_plans[0].pk}")  # answer
    send(client, chat, action="not_resolved")  # sorry
    send(client, chat, text="quelle est la capitale du Pérou ?")  # admit, then offer

    conversation = Conversation.objects.get(pk=chat["id"])
    turns = list(conversation.messages.filter(author=Author.ASSISTANT))
    assert len(turns) == 4
    assert all("human" in action_ids({"actions": m.actions}) for m in turns)


def test_the_message_after_a_resolution_still_offers_a_person(client: Client, kb: KB) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")
    body = send(client, chat, action="resolved")
    assert "human" in action_ids(last_assistant_turn(body))


# A person owns it: the assistant is silent ----------------------------------------------


def test_once_a_person_owns_the_conversation_the_assistant_stays_silent(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "Je veux parler à un conseiller")
    assert chat["state"] == State.WAITING_HUMAN

    body = send(client, chat, text="j'ai oublié mon mot de passe")

    assert body["state"] == State.WAITING_HUMAN
    assert [m["author"] for m in body["messages"]] == [Author.CUSTOMER]
    assert _assistant_texts(chat["id"]) == []
    assert read(client, chat)["messages"][-1]["text"] == "j'ai oublié mon mot de passe"


def test_asking_again_for_a_person_while_waiting_does_not_queue_the_customer_twice(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "Je veux parler à un conseiller")
    send(client, chat, action="human")
    send(client, chat, text="un humain svp")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.messages.filter(author=Author.SYSTEM, internal=False).count() == 1
    assert JourneyEvent.objects.filter(kind=EventKind.HANDOFF).count() == 1


# Who goes to a person, and why -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "article"),
    [
        ("pas besoin d'un conseiller, juste ma facture", "fr", "invoice"),
        ("je ne veux pas parler à un conseiller, j'ai oublié mon mot de passe", "fr", "password"),
        ("no need for an agent, I just forgot my password", "en", "password"),
    ],
)
def test_a_negated_request_for_a_person_is_not_a_handoff(
    client: Client, kb: KB, text: str, lang: str, article: str
) -> None:
    chat = start_chat(client, text, lang=lang)

    assert chat["state"] == State.ASSISTANT
    assert [a["id"] for a in last_assistant_turn(chat)["articles"]] == [getattr(kb, article).pk]


def test_a_customer_who_prefers_a_person_goes_straight_to_one(
    client: Client, kb: KB, customer: User
) -> None:
    customer.profile.prefers_person = True
    customer.profile.save()
    client.force_login(customer)

    chat = start_chat(client, "Où trouver ma facture ?")

    assert chat["state"] == State.WAITING_HUMAN
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_PREFERENCE
    assert _assistant_texts(chat["id"]) == []


def test_a_customer_without_that_preference_is_answered_by_the_assistant(
    client: Client, kb: KB, other_customer: User
) -> None:
    client.force_login(other_customer)
    chat = start_chat(client, "Où trouver ma facture ?")
    assert chat["state"] == State.ASSISTANT


@pytest.mark.parametrize(
    ("text", "reason", "signal", "quote", "priority"),
    [
        (
            "C'est inadmissible, je suis furieux !!!",
            HandoffReason.EMOTION,
            "anger",
            "furieux",
            2,
        ),
        (
            "On a piraté mon compte, il y a des prélèvements frauduleux",
            HandoffReason.FRAUD_SECURITY,
            "fraud_security",
            "piraté",
            1,
        ),
    ],
)
def test_an_angry_or_defrauded_customer_goes_to_a_person_with_the_reason_and_evidence(
    client: Client, kb: KB, text: str, reason: str, signal: str, quote: str, priority: int
) -> None:
    chat = start_chat(client, text)

    assert chat["state"] == State.WAITING_HUMAN
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.handoff_reason == reason
    assert conversation.priority == priority
    signals = conversation.context["signals"]
    assert signals[0]["kind"] == signal
    assert quote in signals[0]["evidence"]
    assert all(e in text for e in signals[0]["evidence"])


def test_a_visitor_back_with_the_same_unsolved_need_goes_to_a_person(
    client: Client, kb: KB
) -> None:
    client.get("/fr/")  # the visitor cookie that ties both conversations together
    start_chat(client, "j'ai oublié mon mot de passe")

    again = start_chat(client, "mdp oublié")

    assert again["state"] == State.WAITING_HUMAN
    conversation = Conversation.objects.get(pk=again["id"])
    assert conversation.handoff_reason == HandoffReason.REPEAT_CONTACT


# The context packet ----------------------------------------------------------------------


def test_the_context_packet_holds_what_the_visitor_searched_read_and_said(
    client: Client, kb: KB
) -> None:
    client.get("/fr/search", {"q": "mot de pase oublie"})
    client.get(f"/fr/a/{kb.password_fr.slug}/")
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    send(client, chat, action="human")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.state == State.WAITING_HUMAN
    context = conversation.context
    assert context["reason"] == HandoffReason.CUSTOMER_REQUEST
    assert [s["query"] for s in context["searches"]] == ["mot de pase oublie"]
    assert [(a["article"], a["title"]) for a in context["articles_viewed"]] == [
        (kb.password.pk, kb.password_fr.title)
    ]
    transcript = [(m["author"], m["text"]) for m in context["transcript"]]
    assert transcript[0] == (Author.CUSTOMER, "j'ai oublié mon mot de passe")
    assert transcript[1][0] == Author.ASSISTANT
    assert transcript[-1][0] == Author.CUSTOMER  # the click on the way to a person
    assert context["articles_offered"] == [kb.password.pk]
    assert context["detected_need"]["article"] == kb.password.pk


def test_the_context_packet_holds_the_signals_with_the_customers_own_words(
    client: Client, kb: KB
) -> None:
    client.get("/fr/search", {"q": "facture"})
    chat = start_chat(client, "Je veux parler à un conseiller")

    context = Conversation.objects.get(pk=chat["id"]).context
    assert context["reason"] == HandoffReason.CUSTOMER_REQUEST
    assert [s["kind"] for s in context["signals"]] == ["explicit_request"]
    assert context["signals"][0]["evidence"]
    assert all(e in "Je veux parler à un conseiller" for e in context["signals"][0]["evidence"])
    assert [m["text"] for m in context["transcript"]] == ["Je veux parler à un conseiller"]
    assert [s["query"] for s in context["searches"]] == ["facture"]


def test_the_context_packet_only_holds_this_visitors_journey(client: Client, kb: KB) -> None:
    stranger = Client()
    stranger.get("/fr/search", {"q": "facture"})
    stranger.get(f"/fr/a/{kb.invoice_fr.slug}/")
    client.get("/fr/")

    chat = start_chat(client, "Je veux parler à un conseiller")

    context = Conversation.objects.get(pk=chat["id"]).context
    assert context["searches"] == []
    assert context["articles_viewed"] == []


def test_the_context_packet_names_a_signed_in_customer(
    client: Client, kb: KB, customer: User
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "Je veux parler à un conseiller")

    who = Conversation.objects.get(pk=chat["id"]).context["customer"]
    assert (who["id"], who["customer_number"], who["email"]) == (
        customer.pk,
        "40012345",
        customer.email,
    )


# Resolution and choices ---------------------------------------------------------------------


def test_resolved_closes_the_conversation_and_records_a_selfcare_resolution(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")

    body = send(client, chat, action="resolved")

    assert body["state"] == State.CLOSED
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.resolved_at is not None
    event = JourneyEvent.objects.get(kind=EventKind.SELFCARE_RESOLVED)
    assert event.data == {
        "conversation": conversation.pk,
        "article": kb.password.pk,
        "how": "confirmed",
    }
    assert event.visitor_id == conversation.visitor_id


def test_saying_it_works_after_an_answer_resolves_the_need(client: Client, kb: KB) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    body = send(client, chat, text="ça marche, merci")
    assert body["state"] == State.CLOSED
    assert JourneyEvent.objects.filter(kind=EventKind.SELFCARE_RESOLVED).count() == 1


@pytest.mark.parametrize("text", ["ça marche pas", "non c'est pas réglé", "it still isn't fixed"])
def test_saying_it_does_not_work_is_never_taken_for_a_resolution(
    client: Client, kb: KB, text: str
) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    body = send(client, chat, text=text)
    assert body["state"] != State.CLOSED
    assert not JourneyEvent.objects.filter(kind=EventKind.SELFCARE_RESOLVED).exists()


def test_merci_c_est_bon_after_an_answer_resolves_the_need(client: Client, kb: KB) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    assert send(client, chat, text="merci, c'est bon")["state"] == State.CLOSED


@pytest.mark.parametrize(
    ("first", "choice"),
    [
        ("j'ai oublié mon mot de passe", "do:latest_invoice"),
        ("j'ai oublié mon mot de passe", "article:{invoice}"),
        ("j'ai oublié mon mot de passe", "something-else"),
        ("quelle est la capitale du Pérou ?", "resolved"),
    ],
)
def test_a_choice_that_was_never_offered_is_refused(
    client: Client, kb: KB, first: str, choice: str
) -> None:
    chat = start_chat(client, first)
    before = Conversation.objects.get(pk=chat["id"]).messages.count()

    response = client.post(
        messages_url(chat["id"]),
        {"action": choice.format(invoice=kb.invoice.pk)},
        content_type="application/json",
        headers={"X-Conversation-Token": chat["token"]},
    )

    assert response.status_code == 400
    assert "action" in response.json()["errors"]
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.messages.count() == before
    assert conversation.state == State.ASSISTANT


def test_a_customer_who_said_it_was_solved_can_still_reach_a_person(client: Client, kb: KB) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")
    send(client, chat, action="resolved")

    body = send(client, chat, action="human")

    assert body["state"] == State.WAITING_HUMAN


# An honest word on who answers and when ---------------------------------------------------


def _notice(body: dict[str, Any]) -> str:
    notices = [m["text"] for m in body["messages"] if m["author"] == Author.SYSTEM]
    assert len(notices) == 1, body
    return notices[0]


def test_with_nobody_online_during_opening_hours_the_notice_says_nobody_is_free(
    client: Client, kb: KB, open_all_day: None
) -> None:
    body = start_chat(
        client, "Let me talk to a real person", lang="en", customer={"email": "cm@example.net"}
    )

    notice = _notice(body)
    assert "Nobody is free" in notice
    assert f"#{body['id']}" in notice
    assert "cm@example.net" in notice
    assert "wait about" not in notice


@time_machine.travel(datetime(2030, 3, 5, 15, 0, tzinfo=PARIS), tick=False)
def test_outside_opening_hours_the_notice_says_when_advisors_are_back(
    client: Client, kb: KB, agent: User, closed_until_midnight: None
) -> None:
    body = start_chat(client, "Let me talk to a real person", lang="en")

    notice = _notice(body)
    tomorrow = datetime.combine(
        timezone.localdate() + timedelta(days=1), time(0), tzinfo=timezone.get_current_timezone()
    )
    with override("en"):
        when = formats.date_format(tomorrow, "l j F, H:i")
    assert f"away until {when}" in notice
    assert f"#{body['id']}" in notice
    assert "wait about" not in notice


@time_machine.travel(datetime(2030, 3, 5, 15, 0, tzinfo=PARIS), tick=False)
def test_an_advisor_working_outside_opening_hours_is_announced_as_the_one_who_answers(
    client: Client, kb: KB, agent: User, closed_until_midnight: None
) -> None:
    # One truth for routing and the customer: the advisor online gets the conversation, so
    # the customer is not told that advisors are away.
    _online(agent)

    body = start_chat(client, "Je veux parler à un conseiller", lang="fr")

    notice = _notice(body)
    assert "1 conseiller en ligne" in notice
    assert "absents" not in notice


def test_with_an_advisor_online_the_notice_mentions_the_expected_wait(
    client: Client, kb: KB, agent: User, open_all_day: None
) -> None:
    _online(agent)

    notice = _notice(start_chat(client, "Let me talk to a real person", lang="en"))

    assert "1 advisor available" in notice
    assert "expected wait about" in notice
    assert "no need to repeat yourself" in notice


def test_an_advisor_not_seen_for_minutes_is_not_counted_as_online(
    client: Client, kb: KB, agent: User, open_all_day: None
) -> None:
    _online(agent, seen=timezone.now() - timedelta(minutes=10))

    notice = _notice(start_chat(client, "Let me talk to a real person", lang="en"))

    assert "Nobody is free" in notice


def test_with_one_advisor_free_and_nobody_ahead_the_wait_is_one_handling_time(
    client: Client, kb: KB, agent: User, open_all_day: None
) -> None:
    _online(agent)
    notice = _notice(start_chat(client, "Let me talk to a real person", lang="en"))
    assert f"expected wait about {AVERAGE_HANDLING_MINUTES} min" in notice


@pytest.mark.parametrize(
    ("now", "open_now"),
    [
        (datetime(2030, 3, 5, 10, 0, tzinfo=PARIS), True),  # a Tuesday morning
        (datetime(2030, 3, 5, 23, 30, tzinfo=PARIS), False),  # the same evening
        (datetime(2030, 3, 10, 10, 0, tzinfo=PARIS), False),  # a Sunday
        (datetime(2030, 3, 11, 7, 59, tzinfo=PARIS), False),  # a Monday, just before opening
    ],
    ids=["tuesday-10h", "tuesday-23h30", "sunday", "monday-7h59"],
)
def test_the_notice_follows_the_real_calendar_at_any_hour(
    client: Client, kb: KB, agent: User, now: datetime, open_now: bool
) -> None:
    with time_machine.travel(now, tick=False):
        notice = _notice(start_chat(client, "Let me talk to a real person", lang="en"))

    if open_now:
        assert "Nobody is free this very minute" in notice
    else:
        assert "away until" in notice
        assert "wait about" not in notice


def test_staffing_on_a_weekday_morning_counts_the_advisors_present(
    db: None, agent: User, other_team_agent: User
) -> None:
    monday_ten = datetime(2025, 3, 10, 10, 0, tzinfo=PARIS)
    _online(agent, seen=monday_ten - timedelta(seconds=30))
    _online(other_team_agent, seen=monday_ten - timedelta(minutes=10))  # gone quiet

    now = staffing(monday_ten)

    assert now.open_now
    assert now.agents_online == 1
    assert now.expected_wait_minutes == AVERAGE_HANDLING_MINUTES


def test_staffing_on_a_sunday_names_monday_morning_and_counts_who_is_there_anyway(
    db: None, agent: User
) -> None:
    sunday_ten = datetime(2025, 3, 9, 10, 0, tzinfo=PARIS)

    nobody = staffing(sunday_ten)
    _online(agent, seen=sunday_ten)
    someone = staffing(sunday_ten)

    assert not nobody.open_now and not someone.open_now
    assert nobody.next_opening == datetime(2025, 3, 10, 8, 0, tzinfo=PARIS)
    assert (nobody.agents_online, nobody.expected_wait_minutes) == (0, None)
    assert (someone.agents_online, someone.expected_wait_minutes) == (1, AVERAGE_HANDLING_MINUTES)


# Language ----------------------------------------------------------------------------------

ENGLISH_SENTENCES = [
    "automated assistant",
    "Did this solve it?",
    "Yes, solved",
    "Sorry it didn't help",
    "I'm not managing to help you",
    "passed your request",
    "Our advisors are away",
]


def test_a_french_conversation_is_in_french_from_the_greeting_to_the_handoff(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe", lang="fr")
    for _ in range(3):
        send(client, chat, action="not_resolved")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.state == State.WAITING_HUMAN
    said = " ".join(
        [m.text for m in conversation.messages.exclude(author=Author.CUSTOMER)]
        + [a["label"] for m in conversation.messages.all() for a in m.actions]
    )
    assert [s for s in ENGLISH_SENTENCES if s in said] == []
