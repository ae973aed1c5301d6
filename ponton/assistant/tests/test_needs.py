"""The learned reading of a first message (needs.py), with the default encoder: the quiet
reasons a person is needed, in words the lexicon does not know."""

from __future__ import annotations

import pytest
from django.test import Client

from ponton.assistant import needs
from ponton.assistant.encoders import E5Encoder
from ponton.assistant.signals import KINDS, triage
from ponton.conftest import KB
from ponton.connectors.tests.test_webchat_api import action_ids, last_assistant_turn, start_chat
from ponton.conversations.models import Conversation, HandoffReason, State

QUIET = [
    (
        "fr",
        "negotiation",
        "On me propose moins cher ailleurs, qu'est-ce que vous pouvez faire pour que je reste ?",
    ),
    ("en", "negotiation", "We are a team of 200 and want a quote for moving all our lines to you"),
    ("en", "legal", "I want a copy of all the personal data you hold about me under GDPR"),
    ("en", "anger", "Bravo, three weeks without a working line and not a word from you"),
    (
        "fr",
        "vulnerability",
        "Depuis mon AVC j'ai du mal à lire l'écran, je n'arrive plus à faire mes démarches",
    ),
    (
        "en",
        "vulnerability",
        "since my husband left I handle the bills alone and I don't understand any of it",
    ),
    ("fr", "repeat_contact", "J'ai déjà tout raconté à trois de vos collègues, on tourne en rond"),
    ("en", "repeat_contact", "I have explained this to three of your colleagues already"),
    ("fr", "bereavement", "Ma femme s'est éteinte cet hiver, je voudrais fermer ses comptes"),
    ("en", "bereavement", "we buried my father last week and I need to sort out his account"),
    ("fr", "fraud_security", "je reçois des codes de connexion alors que je n'ai rien demandé"),
    ("en", "critical_outage", "our shop can't take card payments since noon, we're losing sales"),
    ("fr", "complaint", "je veux être dédommagée pour les trois semaines sans ligne"),
    ("en", "explicit_request", "I'd feel better discussing this with someone on your side"),
]
SAID_PLAINLY = [
    (
        "fr",
        "vulnerability",
        "Ma mère a 91 ans, elle vit seule et ne sait pas se servir du nouveau boîtier",
    ),
    (
        "en",
        "vulnerability",
        "I just got out of chemo and I can't deal with all these forms on my own",
    ),
    ("fr", "legal", "Je n'ai jamais signé ce contrat, quelqu'un l'a souscrit à ma place"),
    (
        "fr",
        "repeat_contact",
        "Je vous ai déjà expliqué tout ça la semaine dernière et personne n'a rien fait",
    ),
    ("en", "repeat_contact", "This is the fourth time I write about the same bill"),
    ("fr", "anger", "Franchement je suis très déçue, je pensais pouvoir compter sur vous"),
]
ROUTINE = [
    ("fr", "Comment télécharger ma facture du mois dernier ?"),
    ("en", "How do I change my delivery address?"),
    ("fr", "Ma box ne se connecte plus depuis ce matin"),
    ("fr", "je ne veux pas parler à un conseiller, j'ai oublié mon mot de passe"),
]


@pytest.mark.parametrize(("lang", "kind", "message"), QUIET)
def test_a_quiet_need_the_lexicon_misses_is_read_with_its_reason(
    e5: E5Encoder, lang: str, kind: str, message: str
) -> None:
    assert not triage(message, lang=lang).human  # the next phrasing the word lists lack

    need = needs.assess(message, lang=lang)

    assert need.probability >= needs.HAND_OFF
    assert need.kind == kind


@pytest.mark.parametrize(("lang", "kind", "message"), SAID_PLAINLY)
def test_the_model_agrees_with_the_lexicon_on_needs_said_plainly(
    e5: E5Encoder, lang: str, kind: str, message: str
) -> None:
    need = needs.assess(message, lang=lang)

    assert need.probability >= needs.HAND_OFF
    assert need.kind == kind


@pytest.mark.parametrize(("lang", "message"), ROUTINE)
def test_routine_first_messages_stay_selfcare(e5: E5Encoder, lang: str, message: str) -> None:
    assert needs.assess(message, lang=lang).probability < needs.HAND_OFF


def test_the_training_file_covers_every_reason_in_both_languages() -> None:
    for lang in ("fr", "en"):
        labels = [label for _, label in needs.training_rows(lang)]
        # Every kind the lexicon reads, but the company's own policy topics.
        for kind in set(KINDS) - {"policy_topic"}:
            assert labels.count(kind) >= 25, (lang, kind)
        assert labels.count(needs.SELFCARE) >= 150


@pytest.mark.django_db
def test_a_quiet_need_no_article_answers_goes_to_a_person_with_its_reading(
    client: Client, kb: KB, e5: E5Encoder
) -> None:
    message = QUIET[3][2]  # cold anger: the knowledge base declines it
    chat = start_chat(client, message, lang="en")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.EMOTION
    (signal,) = conversation.context["signals"]
    assert (signal["kind"], signal["learned"]) == ("anger", True)
    assert signal["evidence"] == [message]  # what the agent reads as the why


@pytest.mark.django_db
def test_a_need_an_article_answers_is_offered_both_the_person_first(
    client: Client, kb: KB, e5: E5Encoder
) -> None:
    # Likely routine (the invoice article answers it), but the model cannot rule a person out.
    message = "je ne comprends pas ma facture, je n'y arrive vraiment pas toute seule"
    assert not triage(message, lang="fr").human
    assert needs.assess(message, lang="fr").probability >= needs.OFFER

    chat = start_chat(client, message, lang="fr")

    assert chat["state"] == State.ASSISTANT
    turn = last_assistant_turn(chat)
    assert [a["id"] for a in turn["articles"]] == [kb.invoice.pk]
    assert action_ids(turn)[0] == "human"
    assert turn["text"].startswith("Je suis l'assistant automatique. Une personne peut")
