"""What a phone customer types to reach a person, and the language of an unknown number."""

from __future__ import annotations

import pytest

from ponton.connectors.messaging.inbound import guess_language, wants_person


@pytest.mark.parametrize("text", ["0", " 0 ", "CONSEILLER", "Conseiller !", "conseillér", "agent."])
def test_one_word_reaches_a_person_in_any_case_or_punctuation(text: str) -> None:
    assert wants_person(text)


@pytest.mark.parametrize(
    "text", ["00", "10", "pas besoin d'un conseiller", "mon agent immobilier", "0612345678"]
)
def test_a_sentence_or_a_number_is_not_the_keyword(text: str) -> None:
    assert not wants_person(text)


def test_the_language_of_an_unknown_number_comes_from_its_words_then_its_country() -> None:
    assert guess_language("Hello, my box is down", "+33612345678") == "en"
    assert guess_language("Bonjour, ma box ne marche pas", "+447700900123") == "fr"
    assert guess_language("wifi ?", "+447700900123") == "en"
    assert guess_language("wifi ?", "+32470123456") == "fr"
