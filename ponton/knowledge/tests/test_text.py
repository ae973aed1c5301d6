"""Text normalisation: what customers type and what articles say meet on the same terms."""

from __future__ import annotations

import pytest

from ponton.knowledge import text


def test_fold_lowercases_and_strips_accents() -> None:
    assert text.fold("Réinitialiser ÉLÉMENT à Noël") == "reinitialiser element a noel"


def test_words_splits_ligatures_that_unicode_does_not_decompose() -> None:
    assert text.words("Cœur ex æquo") == ["coeur", "ex", "aequo"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mdp oublié", ["mot", "de", "passe", "oublie"]),
        ("MDP", ["mot", "de", "passe"]),
        ("forgot pwd", ["forgot", "password"]),
        ("pb de tel svp", ["probleme", "de", "telephone", "s", "il", "vous", "plait"]),
        ("rdv technicien", ["rendez", "vous", "technicien"]),
    ],
)
def test_words_expands_sms_and_support_abbreviations(typed: str, expected: list[str]) -> None:
    assert text.words(typed) == expected


@pytest.mark.parametrize("typed", ["E-403", "e 403", "E403", "erreur E-403"])
def test_words_keeps_an_error_code_as_one_word(typed: str) -> None:
    assert "e403" in text.words(typed)


def test_an_abbreviation_inside_a_longer_word_is_left_alone() -> None:
    assert text.words("mdpx telephone") == ["mdpx", "telephone"]


def test_terms_drop_french_stop_words_and_stem_what_is_left() -> None:
    assert text.terms("Comment réinitialiser mon mot de passe ?", "fr") == [
        text.stem("reinitialiser", "fr"),
        text.stem("mot", "fr"),
        text.stem("passe", "fr"),
    ]


def test_terms_drop_english_stop_words() -> None:
    assert text.terms("How do I reset my password?", "en") == ["reset", "password"]


def test_the_customers_french_and_the_articles_french_meet_on_the_same_terms() -> None:
    assert text.terms("mdp oublie", "fr") == text.terms("Mot de passe oublié", "fr")
    assert text.terms("mots de passe oubliés", "fr") == text.terms("Mot de passe oublié", "fr")
    assert text.terms("factures", "fr") == text.terms("Facture", "fr")


def test_english_inflections_share_a_stem() -> None:
    assert text.terms("resetting passwords", "en") == text.terms("Reset password", "en")
    assert text.terms("invoices", "en") == text.terms("invoice", "en")


def test_stemming_follows_the_language_asked_for() -> None:
    assert text.stem("factures", "fr") == "factur"
    assert text.stem("invoices", "en") == "invoic"
    assert text.stem("connexions", "fr") != text.stem("connexions", "en")


def test_is_stop_word_depends_on_the_language() -> None:
    assert text.is_stop_word("le", "fr")
    assert not text.is_stop_word("le", "en")
    assert text.is_stop_word("the", "en")
    assert not text.is_stop_word("facture", "fr")


def test_terms_of_an_empty_or_punctuation_only_text_are_empty() -> None:
    assert text.terms("", "fr") == []
    assert text.terms("?!… --", "en") == []
