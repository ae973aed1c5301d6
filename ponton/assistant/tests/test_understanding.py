"""The assistant's understanding: which article answers a message, or none."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from ponton.accounts.models import User
from ponton.assistant import benchmark, knowledge_model
from ponton.assistant.understanding import OOS, IntentModel, Prediction
from ponton.conftest import KB
from ponton.knowledge import search
from ponton.knowledge.models import Article, ArticleTranslation, Status
from ponton.knowledge.services import (
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
    set_status,
)


def answer(message: str, lang: str) -> str | None:
    model = knowledge_model.current_model(lang)
    assert model is not None
    return model.predict(message).top


# Understanding customers as they write ------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "mdp oublié",
        "mdp oublie",
        "j'ai oublier mon mot de pase",
        "jarrive plus a me connecter, mot de passe perdu",
        "reinitialiser mon mot de passe svp",
    ],
)
def test_french_password_questions_with_typos_and_sms_spelling_reach_the_password_article(
    kb: KB, message: str
) -> None:
    assert answer(message, "fr") == str(kb.password.pk)


@pytest.mark.parametrize(
    "message",
    [
        "jarrive pas a telecharger ma facture",
        "ou est ma factrue ?",
        "telecharger facture pdf stp",
    ],
)
def test_french_invoice_questions_without_accents_reach_the_invoice_article(
    kb: KB, message: str
) -> None:
    assert answer(message, "fr") == str(kb.invoice.pk)


def test_an_english_question_reaches_the_english_article(kb: KB) -> None:
    assert answer("I forgot my pasword", "en") == str(kb.password.pk)
    assert answer("where can I download my bill", "en") == str(kb.invoice.pk)


@pytest.mark.parametrize(
    ("message", "lang"),
    [
        ("Quelle est la capitale de l'Australie ?", "fr"),
        ("recette de la tarte aux pommes", "fr"),
        ("who won the football match yesterday", "en"),
    ],
)
def test_an_unrelated_message_is_out_of_scope(kb: KB, message: str, lang: str) -> None:
    model = knowledge_model.current_model(lang)
    assert model is not None
    prediction = model.predict(message)
    assert prediction.out_of_scope
    assert prediction.top is None


def test_an_empty_message_is_out_of_scope(kb: KB) -> None:
    model = knowledge_model.current_model("fr")
    assert model is not None
    assert model.predict("  ?! ").out_of_scope


def test_ranked_answers_are_at_most_k_best_first_with_probabilities(kb: KB) -> None:
    model = knowledge_model.current_model("fr")
    assert model is not None
    prediction = model.predict("mot de passe", k=2)
    probabilities = [p for _, p in prediction.ranked]
    assert len(prediction.ranked) == 2
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert prediction.confidence == probabilities[0]


# Declining ------------------------------------------------------------------------------

INTENTS = {
    "card": ["where is my card", "my card has not arrived", "card not delivered yet"],
    "pin": ["my pin is blocked", "unblock my pin code", "forgot my pin"],
    "rate": ["what is the exchange rate", "euro to dollar rate", "currency conversion rate"],
}
TO_DECLINE = [
    "tell me a joke",
    "what is the weather like",
    "who is the president",
    "play some music",
    "recommend a good movie",
    "how tall is mount everest",
]


def small_examples() -> list[tuple[str, str]]:
    pairs = [(t, label) for label, texts in INTENTS.items() for t in texts]
    return pairs + [(t, OOS) for t in TO_DECLINE]


def test_an_oos_label_is_never_predicted_as_an_answer() -> None:
    model = IntentModel.train(small_examples(), lang="en")
    for message in [*TO_DECLINE, "tell me another joke", "weather tomorrow", "my card is late"]:
        prediction = model.predict(message, k=5)
        assert OOS not in [label for label, _ in prediction.ranked]
        assert prediction.top != OOS
    assert model.predict("tell me a joke").out_of_scope
    assert model.predict("my card has not arrived").top == "card"


def test_a_model_without_an_answerable_label_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one example"):
        IntentModel.train([(t, OOS) for t in TO_DECLINE], lang="en")


def test_a_single_article_is_answered_and_the_rest_declined() -> None:
    model = IntentModel.train([("reset my password", "1"), ("forgot my password", "1")], lang="en")
    assert model.predict("password forgotten").top == "1"
    assert model.predict("tell me a joke").out_of_scope


def test_the_prediction_of_a_declined_message_has_no_top_but_keeps_its_ranking() -> None:
    prediction = Prediction(ranked=[("3", 0.2), ("1", 0.1)], out_of_scope=True)
    assert prediction.top is None
    assert prediction.confidence == 0.2


# The optional dense encoder --------------------------------------------------------------


class LetterEncoder:
    """A stand-in for a sentence-transformers model (a third-party model we do not
    ship): hashed word counts, of unit length."""

    name = "letters"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, message in enumerate(texts):
            for word in message.lower().split():
                vectors[row, zlib.crc32(word.encode()) % 64] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.where(norms == 0, 1.0, norms))


def test_an_encoder_adds_its_embeddings_to_the_lexical_features() -> None:
    model = IntentModel.train(small_examples(), lang="en", encoder=LetterEncoder())
    assert model.encoder is not None
    assert model.predict("where is my card").top == "card"
    assert model.predict("tell me a joke").out_of_scope


# The model follows the knowledge base ---------------------------------------------------


def test_training_examples_are_the_titles_and_questions_of_published_translations(
    kb: KB,
) -> None:
    examples = knowledge_model.training_examples("fr")
    labels = {label for _, label in examples}
    assert ("mdp oublié", str(kb.password.pk)) in examples
    assert (kb.password_fr.title, str(kb.password.pk)) in examples
    assert str(kb.draft.pk) not in labels


def test_there_is_no_model_without_a_published_article(db: None) -> None:
    assert knowledge_model.current_model("en") is None
    with pytest.raises(LookupError):
        knowledge_model.retrain("en")


def test_the_model_is_reused_while_the_knowledge_base_is_unchanged(kb: KB) -> None:
    assert knowledge_model.current_model("fr") is knowledge_model.current_model("fr")


def test_the_model_learns_an_article_as_soon_as_it_is_published(kb: KB, agent: User) -> None:
    before = knowledge_model.current_model("fr")
    assert before is not None
    assert before.predict("code parrainage ami").top != str(kb.draft.pk)

    set_status(kb.draft_fr, Status.PUBLISHED, author=agent)

    after = knowledge_model.current_model("fr")
    assert after is not None and after is not before
    assert after.predict("code de parrainage pour un ami").top == str(kb.draft.pk)


def test_customers_do_not_wait_for_the_rebuild_an_edit_calls_for(
    transactional_db: None, kb: KB, agent: User, settings: Any
) -> None:
    """As an app process runs: the model in use answers while its successor is trained in
    a thread, which takes seconds on a real knowledge base."""
    settings.PONTON_ASSISTANT_REBUILD_IN_BACKGROUND = True
    before = knowledge_model.current_model("fr")
    set_status(kb.draft_fr, Status.PUBLISHED, author=agent)

    answered: list[IntentModel | None] = []

    def ask() -> None:
        try:
            answered.append(knowledge_model.current_model("fr"))
        finally:
            connection.close()

    with knowledge_model._lock:  # what a rebuild holds while it trains
        customer = threading.Thread(target=ask)
        customer.start()
        customer.join(timeout=10)
        assert answered == [before]
    knowledge_model._rebuilding["fr"].join(timeout=60)

    after = knowledge_model.current_model("fr")
    assert after is not None and after is not before
    assert after.predict("code de parrainage pour un ami").top == str(kb.draft.pk)


def test_the_model_learns_a_new_example_question_after_an_edit(kb: KB, agent: User) -> None:
    message = "mon ecran affiche une erreur E-403"
    translation = kb.invoice_fr
    save_translation(
        article=kb.invoice,
        language="fr",
        fields=TranslationFields(
            title=translation.title,
            body=translation.body,
            questions=[*translation.questions, message],
            status=Status.PUBLISHED,
        ),
        author=agent,
    )
    assert answer(message, "fr") == str(kb.invoice.pk)


def test_the_model_forgets_an_unpublished_article(kb: KB, agent: User) -> None:
    assert answer("changer la clé wifi", "fr") == str(kb.wifi_password.pk)
    set_status(kb.wifi_password_fr, Status.DRAFT, author=agent)
    model = knowledge_model.current_model("fr")
    assert model is not None
    assert str(kb.wifi_password.pk) not in model.labels


def test_a_knowledge_base_of_a_hundred_articles_trains(db: None, agent: User) -> None:
    from ponton.knowledge.models import Category

    category = Category.objects.create(slug="many", name_fr="Beaucoup", name_en="Many")
    for n in range(100):
        article = save_article(key=f"topic-{n}", fields=ArticleFields(category=category))
        save_translation(
            article=article,
            language="en",
            fields=TranslationFields(
                title=f"Topic {n} zq{n}x",
                body="Body.",
                questions=[f"question {i} about zq{n}x thing{n}" for i in range(10)],
                status=Status.PUBLISHED,
            ),
            author=agent,
        )
    model = knowledge_model.retrain("en")
    assert model.report.labels == 100
    assert model.predict("tell me about zq42x").top == str(Article.objects.get(key="topic-42").pk)


# ponton bench-intents ---------------------------------------------------------------------


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return path


def bench(**options: Any) -> tuple[list[str], dict[str, Any]]:
    out = io.StringIO()
    call_command("bench_intents", stdout=out, **options)
    lines = out.getvalue().strip().splitlines()
    return lines, json.loads(lines[-1])


FIGURES = {
    "n",
    "top1_accuracy",
    "top1_closed_set",
    "top3_accuracy",
    "answered_precision",
    "p50_ms",
    "p95_ms",
}


def test_a_declined_message_is_a_miss_but_its_best_article_counts_in_the_closed_set() -> None:
    result = benchmark.figures(
        [
            benchmark.Outcome("card", None, ("card", "pin"), 1.0),
            benchmark.Outcome("pin", "pin", ("pin",), 1.0),
            benchmark.Outcome("pin", None, ("card", "pin"), 1.0),
            benchmark.Outcome("card", "pin", ("pin", "card"), 1.0),
        ]
    )
    assert result["top1_accuracy"] == 0.25
    assert result["top1_closed_set"] == 0.5
    assert result["top3_accuracy"] == 1.0


def test_bench_intents_prints_every_figure_and_baseline_as_its_last_line(
    db: None, tmp_path: Path
) -> None:
    train = write_csv(tmp_path / "train.csv", small_examples())
    test = write_csv(
        tmp_path / "test.csv",
        [("my card never arrived", "card"), ("pin blocked", "pin"), ("sing me a song", OOS)],
    )
    lines, result = bench(train=str(train), test=str(test))

    assert FIGURES | {"oos_recall", "oos_precision", "baselines"} <= set(result)
    assert result["n"] == 3
    assert set(result["baselines"]) == {"sqlite_fts5_bm25", "bm25"} or set(result["baselines"]) == {
        "postgresql_ts_rank",
        "bm25",
    }
    for figures in result["baselines"].values():
        assert FIGURES | {"oos_recall", "oos_precision"} <= set(figures)
    assert any("trained" in line for line in lines[:-1])
    # The knowledge base was built in a transaction that was rolled back.
    assert not ArticleTranslation.objects.exists()


def test_bench_intents_can_hold_out_part_of_the_training_file_and_sample_shots(
    db: None, tmp_path: Path
) -> None:
    rows = [(f"{word} {label} please", label) for label in ("alpha", "beta") for word in "abcdef"]
    train = write_csv(tmp_path / "train.csv", rows)
    _, result = bench(train=str(train), holdout=0.34, shots=2)
    assert result["n"] == 4
    assert result["data"]["train_rows"] == 4
    assert "oos_recall" not in result


def without_timings(figures: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in figures.items() if not k.endswith("_ms") and k != "train_seconds"}
    if "baselines" in kept:
        kept["baselines"] = {name: without_timings(f) for name, f in kept["baselines"].items()}
    return kept


def test_bench_intents_measures_its_own_articles_whatever_the_database_holds(
    kb: KB, agent: User, tmp_path: Path
) -> None:
    # Intents that overlap the help center's password and invoice articles.
    train = write_csv(
        tmp_path / "train.csv",
        [
            ("I forgot my password", "reset"),
            ("reset my password", "reset"),
            ("I cannot sign in any more", "reset"),
            ("where is my invoice", "bill"),
            ("download my invoice", "bill"),
            ("my latest bill", "bill"),
            *[(t, OOS) for t in TO_DECLINE],
        ],
    )
    test = write_csv(
        tmp_path / "test.csv",
        [("forgot password", "reset"), ("invoice pdf", "bill"), ("sing me a song", OOS)],
    )
    published = ArticleTranslation.objects.filter(status=Status.PUBLISHED).count()

    _, alongside_the_help_center = bench(train=str(train), test=str(test))

    # The help center is as it was, for customers and for the assistant.
    assert ArticleTranslation.objects.filter(status=Status.PUBLISHED).count() == published
    assert answer("I forgot my password", "en") == str(kb.password.pk)
    viewer = search.Viewer(staff=True)
    assert [h.translation.pk for h in search.search("invoice", lang="en", viewer=viewer)] == [
        kb.invoice_en.pk
    ]
    # And the figures are those of a database without it.
    for translation in ArticleTranslation.objects.filter(status=Status.PUBLISHED):
        set_status(translation, Status.DRAFT, author=agent)
    _, alone = bench(train=str(train), test=str(test))
    assert without_timings(alongside_the_help_center) == without_timings(alone)


def test_bench_intents_leaves_a_shared_sqlite_database_free_for_the_app(
    transactional_db: None, kb: KB
) -> None:
    """Its rolled-back transaction would hold SQLite's only write lock for minutes: every
    page of an app on the same file would answer 503 meanwhile."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL does not lock others out for a rolled-back transaction")
    shared = connection.settings_dict["NAME"]
    locked: list[bool] = []

    def try_to_write(line: str) -> None:
        app = sqlite3.connect(shared, timeout=0)
        try:
            app.execute("BEGIN IMMEDIATE")
            app.rollback()
            locked.append(False)
        except sqlite3.OperationalError:
            locked.append(True)
        finally:
            app.close()

    rows = small_examples()
    benchmark.run(benchmark.Options(train=rows, test=rows[:5]), progress=try_to_write)

    assert locked and not any(locked)
    assert connection.settings_dict["NAME"] == shared
    assert ArticleTranslation.objects.filter(article=kb.password).exists()
