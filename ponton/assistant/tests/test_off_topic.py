"""Declining what is not ours: everyday questions outside the knowledge base, in French
and English, learned from the off-topic lines shipped with the product (law 5)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ponton.assistant import knowledge_model
from ponton.assistant.encoders import E5Encoder
from ponton.conftest import KB
from ponton.connectors.tests.test_webchat_api import action_ids, last_assistant_turn, start_chat
from ponton.knowledge import search

# None of these is in data/off_topic.*.txt.
OFF_TOPIC = [
    ("fr", "quelle est la recette de la tarte tatin"),
    ("fr", "il va faire beau à Nantes samedi ?"),
    ("fr", "qui a gagné l'Euro de foot en 2016"),
    ("fr", "que faire contre une piqûre de guêpe"),
    ("en", "how do I make french onion soup"),
    ("en", "is it going to be windy in Dublin on friday"),
    ("en", "who won the Super Bowl last year"),
    ("en", "what helps with a bee sting"),
]


@pytest.fixture(autouse=True)
def _off_topic_even_for_a_small_knowledge_base(settings: Any) -> None:
    """The test knowledge base is far smaller than the size from which the shipped
    off-topic lines are learned (knowledge_model.DEFAULT_OFF_TOPIC_FROM)."""
    settings.PONTON_ASSISTANT_OFF_TOPIC_FROM = 0


ROUTINE = [
    ("fr", "j'ai oublié mon mot de passe", "password"),
    ("fr", "où trouver ma facture", "invoice"),
    ("en", "I forgot my password", "password"),
    ("en", "where is my invoice", "invoice"),
]


def test_the_shipped_off_topic_lines_are_many_and_in_both_languages() -> None:
    for lang in ("fr", "en"):
        lines = knowledge_model.off_topic(lang)
        assert len(lines) >= 800
        assert len(set(lines)) == len(lines)
    assert not set(knowledge_model.off_topic("fr")) & {t for _, t in OFF_TOPIC}
    assert not set(knowledge_model.off_topic("en")) & {t for _, t in OFF_TOPIC}


@pytest.mark.parametrize(("lang", "message"), OFF_TOPIC)
def test_an_everyday_off_topic_question_is_declined(kb: KB, lang: str, message: str) -> None:
    model = knowledge_model.current_model(lang)
    assert model is not None
    assert model.predict(message).out_of_scope


@pytest.mark.parametrize(("lang", "message", "article"), ROUTINE)
def test_routine_questions_are_still_answered(
    kb: KB, lang: str, message: str, article: str
) -> None:
    model = knowledge_model.current_model(lang)
    assert model is not None
    assert model.predict(message).top == str(getattr(kb, article).pk)


def test_without_the_off_topic_lines_the_encoder_answered_some_with_an_article(
    kb: KB, e5: E5Encoder
) -> None:
    """What the shipped lines change: the same knowledge base without them."""

    def answered() -> list[str]:
        knowledge_model.forget()
        models = {lang: knowledge_model.current_model(lang) for lang in ("fr", "en")}
        return [
            message
            for lang, message in [*OFF_TOPIC, ("en", "what's the weather tomorrow")]
            if not models[lang].predict(message).out_of_scope  # type: ignore[union-attr]
        ]

    with knowledge_model.without_off_topic():
        assert answered()
    assert answered() == []


def test_the_default_encoder_declines_off_topic_questions_in_both_languages(
    kb: KB, e5: E5Encoder
) -> None:
    for lang, message in OFF_TOPIC:
        model = knowledge_model.current_model(lang)
        assert model is not None and model.encoder is e5
        assert model.predict(message).out_of_scope, message
    for lang, message, article in ROUTINE:
        model = knowledge_model.current_model(lang)
        assert model is not None
        assert model.predict(message).top == str(getattr(kb, article).pk), message


@pytest.mark.parametrize(
    ("lang", "message", "words"),
    [
        ("fr", "quelle est la recette de la tarte tatin", ["centre d'aide", "personne"]),
        ("en", "how do I make french onion soup", ["help center", "person"]),
    ],
)
def test_a_decline_says_so_plainly_and_offers_search_and_a_person(
    client: Client, kb: KB, lang: str, message: str, words: list[str]
) -> None:
    chat = start_chat(client, message, lang=lang)
    turn = last_assistant_turn(chat)
    assert not turn.get("articles")
    assert "human" in action_ids(turn)
    for word in words:
        assert word in turn["text"]


@pytest.mark.django_db
def test_bench_kb_asks_the_knowledge_base_and_prints_the_figures_design_names(
    kb: KB, tmp_path: Path
) -> None:
    data = tmp_path / "kb.tsv"
    data.write_text(
        "text\texpected\n"
        f"j'ai oublié mon mot de passe\t{kb.password.key}\n"
        f"I forgot my password\t{kb.password_en.slug},{kb.invoice.key}\n"
        "je veux parler à un conseiller\thuman\n"
        "quelle est la recette des crêpes\toos\n",
        encoding="utf-8",
    )
    out = StringIO()

    call_command("bench_kb", data=str(data), stdout=out)

    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["n"] == 4
    assert figures["answered_accuracy"] == 1.0  # a slug and a key both name the article
    assert figures["human_rate"] == 1.0
    assert {"oos_decline_rate", "p95_ms", "baselines", "encoder"} <= set(figures)


@pytest.mark.django_db
def test_bench_kb_names_the_line_of_an_unknown_article(kb: KB, tmp_path: Path) -> None:
    data = tmp_path / "kb.tsv"
    data.write_text("text\texpected\nbonjour\tno-such-article\n", encoding="utf-8")

    with pytest.raises(CommandError, match="line 2: no article no-such-article"):
        call_command("bench_kb", data=str(data), stdout=StringIO())


def test_search_does_not_read_an_off_topic_question_as_typos_of_the_articles_words(
    kb: KB, e5: E5Encoder
) -> None:
    """ "fracture" is one letter from "facture": a typo of ours, unless the assistant
    declines the question. A lone word keeps its correction."""
    viewer = search.Viewer()
    question = "fracture du poignet"
    assert search.search(question, lang="fr", viewer=viewer, fuse=False)
    assert search.search(question, lang="fr", viewer=viewer) == []
    hits = search.search("factrue", lang="fr", viewer=viewer)
    assert hits and hits[0].translation.article_id == kb.invoice.pk
