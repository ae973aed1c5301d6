"""Signal detectors and the first-message triage (product laws 3 and 4)."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ponton.assistant.signals import (
    HANDOFF_REASONS,
    KINDS,
    configured_policy_topics,
    detect,
    triage,
)
from ponton.conversations.models import HandoffReason

DATA = Path(__file__).resolve().parent / "data"
DEV = (
    Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "triage-fr-en" / "dev.tsv"
)


def kinds(text: str) -> set[str]:
    return {signal.kind for signal in detect(text)}


# --------------------------------------------------------------------------- explicit request

PERSON_REQUESTS = [
    "conseiller",
    "Conseillé",
    "un humain svp",
    "Je veux parler à un conseiller",
    "jveux parler a un conseiller svp",
    "Passez-moi quelqu'un de réel",
    "je veux pas parler à un robot",
    "Je ne veux pas d'un robot, je veux une personne",
    "rappelez-moi",
    "Pouvez-vous me faire rappeler par le service client ?",
    "est-ce qu'une vraie personne peut m'aider ?",
    "Let me talk to a real person",
    "agent",
    "representative",
    "operator please",
    "call me back",
    "I'd rather talk to a person than a bot",
    "put me thru to a human",
    "customer service rep plz",
]


@pytest.mark.parametrize("text", PERSON_REQUESTS)
def test_a_request_for_a_person_is_honoured_in_any_wording(text: str) -> None:
    decision = triage(text)
    assert decision.human
    assert decision.reason == "customer_request"


NEGATED_REQUESTS = [
    "pas besoin d'un conseiller, je cherche juste où télécharger ma facture",
    "Inutile de me passer quelqu'un, dites-moi juste comment changer mon mot de passe",
    "Je ne veux pas parler à quelqu'un, je veux juste savoir où est mon colis",
    "pas la peine de me rappeler, envoyez moi le lien",
    "Sans passer par un conseiller, je peux changer de forfait moi-même ?",
    "No need for an agent, I just want to know where my order is",
    "I don't want to talk to anyone, just tell me how to reset my router",
    "dont need a human, whats the default wifi password",
    "no callback needed, what's the status of my order?",
    "Do I need to speak to a representative to change my pin?",
]


@pytest.mark.parametrize("text", NEGATED_REQUESTS)
def test_a_negated_request_for_a_person_is_not_one(text: str) -> None:
    assert "explicit_request" not in kinds(text)
    assert not triage(text).human


def test_a_refused_bot_then_a_person_in_the_next_clause_is_a_request() -> None:
    assert triage("je veux pas parler à une machine, un vrai conseiller svp").human


# --------------------------------------------------------------------------- each detector

DETECTED = [
    # anger
    ("C'est inadmissible, ça fait une semaine que je n'ai plus internet !!!", "anger"),
    ("VOTRE SERVICE EST LAMENTABLE", "anger"),
    ("bravo, encore une panne, vraiment génial", "anger"),
    ("vs etes vraiment des nuls", "anger"),
    ("Thanks for nothing, seriously", "anger"),
    ("great job guys, 3rd outage this week", "anger"),
    ("Oh wonderful, another price increase. Just brilliant.", "anger"),
    ("I'm fed up with your terrible service", "anger"),
    # repeated contact
    ("C'est la 3e fois que j'appelle pour le même problème", "repeat_contact"),
    ("toujours pas réglé depuis mon dernier appel", "repeat_contact"),
    ("jai deja appele 2 fois", "repeat_contact"),
    ("still not fixed after my call yesterday", "repeat_contact"),
    ("I already contacted you twice about this", "repeat_contact"),
    ("this is my 4th email about the same issue", "repeat_contact"),
    # bereavement
    ("Mon mari est décédé le mois dernier, je dois résilier son abonnement", "bereavement"),
    ("mon pere est decede, comment fermer sa ligne", "bereavement"),
    ("My father passed away and I need to close his account", "bereavement"),
    ("I lost my dad last month, his subscription is still running", "bereavement"),
    # vulnerability
    ("Je suis âgée et je ne comprends rien à votre site", "vulnerability"),
    ("je suis sous curatelle", "vulnerability"),
    ("Je viens de perdre mon emploi et je ne peux plus payer ma facture", "vulnerability"),
    ("je sors de l'hopital et j'ai pas pu payer ma facture", "vulnerability"),
    ("I'm 82 and I can't use the app", "vulnerability"),
    ("I'm blind and your app doesn't work with my screen reader", "vulnerability"),
    ("just lost my job and can't afford my bill this month", "vulnerability"),
    # legal and complaints
    ("Je vais saisir le médiateur et mon avocat", "legal"),
    ("je vais porter plainte", "legal"),
    ("I will take legal action if this is not fixed today", "legal"),
    ("I'm going to sue you", "legal"),
    ("Je veux déposer une réclamation", "complaint"),
    ("le technicien était impoli et m'a mal parlé", "complaint"),
    ("I want to file a formal complaint about your technician", "complaint"),
    ("your engineer was rude to me", "complaint"),
    # fraud and security
    ("Quelqu'un a piraté mon compte", "fraud_security"),
    ("il y a des prélèvements que je ne reconnais pas", "fraud_security"),
    ("On m'a volé mon téléphone, il faut bloquer ma ligne", "fraud_security"),
    ("mon conte a ete piratee", "fraud_security"),
    ("Someone hacked my account and changed the password", "fraud_security"),
    ("there are charges on my statement I didn't make", "fraud_security"),
    ("phone stolen, pls block the sim", "fraud_security"),
    ("got a phishing text and entered my password", "fraud_security"),
    # business-critical outages
    (
        "Toute notre plateforme est en panne, 200 salariés ne peuvent plus travailler",
        "critical_outage",
    ),
    ("nos terminaux de paiement ne marchent plus, on ne peut plus encaisser", "critical_outage"),
    ("our entire office is down, nobody can work", "critical_outage"),
    ("POS terminals not working, the shop can't take payments", "critical_outage"),
    # negotiation and intent to leave
    ("je vais partir chez la concurrence", "negotiation"),
    ("je voudrais un geste commercial", "negotiation"),
    ("I'm going to cancel unless you can match the competitor's price", "negotiation"),
    ("loyal customer for 10 years, what can you offer me to stay", "negotiation"),
]


@pytest.mark.parametrize(("text", "kind"), DETECTED)
def test_each_detector_finds_its_signal_in_french_and_english(text: str, kind: str) -> None:
    assert kind in kinds(text)
    assert triage(text).human


ROUTINE = [
    "Comment résilier mon option TV ?",
    "Merci, c'est résolu !",
    "Est-ce qu'il y a une panne en ce moment dans le 69 ?",
    "comment je fais pour changer la langue",
    "Can I pay by bank transfer?",
    "Mon conseiller bancaire m'a demandé un relevé, où je le télécharge ?",
    "c'est urgent, je dois imprimer ma facture pour ce soir, elle est où ?",
    "Comment activer l'alerte anti-fraude sur mon espace client ?",
    "Comment reconnaître un mail de phishing ?",
    "How do I enable two-factor so I don't get hacked?",
    "Quelle offre conseillez-vous pour quelqu'un qui téléphone peu ?",
    "Merci encore pour votre aide, tout fonctionne",
    "Merci beaucoup !!!",
    "MOT DE PASSE OUBLIE",
    "can i change my password again? forgot it again lol",
    "Où télécharger l'agent de synchronisation pour Windows ?",
    "How do I unlock my phone to use another operator's SIM?",
    "Peut-on payer en trois fois ?",
    "Do you offer a discount for students?",
    "Je pars en vacances, comment suspendre ma ligne un mois ?",
    "Je déménage bientôt, comment transférer ma box ?",
    "Vous avez une appli pour les malentendants ? je cherche l'option sous-titres",
    "Can I get a card in person?",
    "I am still waiting for my new card, when will it arrive?",
    "payer mon telephone en 3x",
    "What happens if I can't pay my invoice?",
    "je n'arrive pas à payer ma facture en une fois",
    "quelqu'un utilise mon wifi",
    "switching operator, can i keep my number",
    "call me carrie",
    "can you tell me a joke",
    "am i talking to a real person or an ai?",
    "How do I follow up on my support request?",
]


@pytest.mark.parametrize("text", ROUTINE)
def test_routine_questions_with_tempting_words_stay_selfcare(text: str) -> None:
    decision = triage(text)
    assert not decision.human, decision.signals
    assert decision.reason is None


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Je veux parler a un conseiler", "explicit_request"),
        ("pls let me speak to sombody real", "explicit_request"),
        ("c inadmissable jsuis degouté", "anger"),
        ("this is absolutely rediculous", "anger"),
        ("I need to speak to a reprensentative", "explicit_request"),
        ("MON PERE EST DECEDE", "bereavement"),
        ("jme suis fait pirater mon compte", "fraud_security"),
    ],
)
def test_typos_missing_accents_sms_and_capitals_are_tolerated(text: str, kind: str) -> None:
    assert kind in kinds(text)


def test_real_words_near_a_keyword_are_not_corrected_into_it() -> None:
    # "plante" is not "plainte", "connectés" is not "contactés", "déménage" is not "démence".
    assert not triage("l'appli plante quand je me connecte").human
    assert not triage("nos appareils connectés ne s'affichent pas dans l'appli").human
    assert not triage("je déménage, comment faire ?").human


def test_the_list_of_protected_near_words_is_up_to_date() -> None:
    from ponton.assistant.lexicon import build_near_words
    from ponton.assistant.lexicon.near_words import NEAR_WORDS

    if not all(path.exists() for path in build_near_words.DICTIONARIES):
        pytest.skip("word lists absent (apt-get install wfrench wamerican wbritish)")
    words = build_near_words.dictionary_words(build_near_words.DICTIONARIES)
    assert set(build_near_words.near_words(words)) == NEAR_WORDS, (
        "run: python -m ponton.assistant.lexicon.build_near_words"
    )


# --------------------------------------------------------------------------- evidence, scores, order


def test_evidence_quotes_the_customers_own_words() -> None:
    (signal,) = detect("Bonjour, je veux parler à un conseiller")
    assert signal.kind == "explicit_request"
    assert "parler à un conseiller" in signal.evidence


def test_evidence_of_anger_shows_the_shouting_and_the_punctuation() -> None:
    (signal,) = detect("C'EST QUAND QUE ÇA MARCHE ???")
    assert signal.kind == "anger"
    assert "???" in signal.evidence
    assert any("MARCHE" in quote for quote in signal.evidence)


def test_signals_are_scored_between_zero_and_one_strongest_first() -> None:
    signals = detect("Je suis furieux, c'est la 3e fois que j'appelle et mon avocat est prévenu")
    assert {"anger", "repeat_contact", "legal"} <= {s.kind for s in signals}
    scores = [s.score for s in signals]
    assert all(0 < score <= 1 for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert all(signal.evidence for signal in signals)


def test_a_routine_message_has_no_signal() -> None:
    assert detect("Comment changer mon adresse de livraison") == []
    assert triage("Comment changer mon adresse de livraison").signals == ()


def test_every_kind_maps_to_a_handoff_reason_the_conversations_know() -> None:
    assert set(HANDOFF_REASONS) == set(KINDS)
    assert set(HANDOFF_REASONS.values()) <= set(HandoffReason.values)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("un humain svp", "customer_request"),
        ("VOUS ÊTES NULS, REMBOURSEZ-MOI", "emotion"),
        ("Mon mari est décédé", "sensitive_situation"),
        ("Je suis sous tutelle", "sensitive_situation"),
        ("mise en demeure de me rembourser", "legal"),
        ("my account got hacked", "fraud_security"),
        ("URGENT our whole company is offline and we can't take orders", "critical_impact"),
        ("je vais partir chez la concurrence", "negotiation"),
        ("C'est la troisième fois que j'appelle", "repeat_contact"),
    ],
)
def test_triage_gives_the_handoff_reason_of_the_strongest_signal(text: str, reason: str) -> None:
    assert triage(text).reason == reason


# --------------------------------------------------------------------------- policy topics


def test_a_declared_policy_topic_goes_to_a_person() -> None:
    decision = triage(
        "Je voudrais des infos sur la resiliation entreprise",
        policy_topics=["résiliation entreprise"],
    )
    assert decision.human
    assert decision.reason == "policy_topic"
    assert decision.signals[0].evidence == ("resiliation entreprise",)
    assert not triage("Je voudrais des infos sur la résiliation", policy_topics=["RGPD"]).human


def test_policy_topics_are_read_from_the_setting_as_a_list_or_a_comma_separated_string(
    settings: Any,
) -> None:
    settings.PONTON_HUMAN_TOPICS = "RGPD, résiliation entreprise ,"
    assert configured_policy_topics() == ["RGPD", "résiliation entreprise"]
    settings.PONTON_HUMAN_TOPICS = ["litige"]
    assert configured_policy_topics() == ["litige"]
    del settings.PONTON_HUMAN_TOPICS
    assert configured_policy_topics() == []


# --------------------------------------------------------------------------- datasets


def _figures(path: Path) -> tuple[float, float]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    right = human = human_right = 0
    for row in rows:
        got = "human" if triage(row["text"], lang=row["lang"]).human else "selfcare"
        right += got == row["expected"]
        if row["expected"] == "human":
            human += 1
            human_right += got == "human"
    return right / len(rows), human_right / human


@pytest.mark.parametrize(
    "path",
    [DEV, DATA / "triage-heldout.tsv", DATA / "triage-blind.tsv"],
    ids=["dev", "heldout", "blind"],
)
def test_triage_meets_its_targets_on_the_labelled_sets(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is absent")
    accuracy, human_recall = _figures(path)
    assert accuracy >= 0.95
    assert human_recall >= 0.97


# --------------------------------------------------------------------------- bench command


def test_bench_triage_prints_its_figures_as_json_on_the_last_line() -> None:
    out = StringIO()
    call_command("bench_triage", data=str(DATA / "triage-heldout.tsv"), stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["n"] >= 150
    learned, lexicon = figures, figures["baselines"]["lexicon"]
    for result in (lexicon, learned):
        for key in ("accuracy", "human_recall", "human_precision", "selfcare_recall", "p95_ms"):
            assert isinstance(result[key], float)
        assert {"explicit_request", "negated_request", "routine", "anger"} <= set(
            result["per_reason"]
        )
        assert isinstance(result["errors"], list)
    assert lexicon["accuracy"] >= 0.95
    assert learned["human_recall"] >= lexicon["human_recall"]


def test_bench_triage_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("bench_triage", data=str(tmp_path / "absent.tsv"), stdout=StringIO())


def test_bench_triage_names_the_line_of_a_malformed_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(
        "id\tlang\texpected\treason\ttext\nx1\tfr\tselfcare\troutine\tBonjour\nx2\tfr\thuman\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=":3:"):
        call_command("bench_triage", data=str(path), stdout=StringIO())
    path.write_text("id\tlang\texpected\treason\ttext\nx1\tfr\tmaybe\troutine\tBonjour\n")
    with pytest.raises(CommandError, match="expected is 'maybe'"):
        call_command("bench_triage", data=str(path), stdout=StringIO())
