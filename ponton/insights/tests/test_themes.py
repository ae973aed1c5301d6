"""Grouping customers' words into themes."""

from __future__ import annotations

from ponton.insights.themes import group


def test_wordings_that_share_most_of_their_words_form_one_theme_named_by_the_commonest() -> None:
    texts = ["carte cadeau", "carte cadeau", "offrir une carte cadeau", "Carte cadeau ?"]
    themes = group((t, t, "fr") for t in texts)
    assert len(themes) == 1
    assert themes[0].label == "carte cadeau"
    assert themes[0].size == 4


def test_one_shared_word_is_not_enough_to_merge_two_needs() -> None:
    texts = ["box 4G pour résidence secondaire", "ligne fixe sans box", "changer ma box"]
    assert len(group((t, t, "fr") for t in texts)) == 3


def test_messages_that_do_not_say_the_need_are_one_theme() -> None:
    texts = ["Bonjour, pouvez-vous m'aider ?", "J'ai besoin d'aide svp"]
    themes = group((t, t, "fr") for t in texts)
    assert [t.label for t in themes] == ["Besoin non exprimé"]  # the site speaks French by default


def test_languages_never_share_a_theme() -> None:
    themes = group([("a", "carte cadeau", "fr"), ("b", "carte cadeau", "en")])
    assert len(themes) == 2
