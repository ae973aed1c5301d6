"""Help-center search: stemmed, accent-insensitive, typo-tolerant, targeted."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from ponton.batches import MAX_PARAMS
from ponton.conftest import KB
from ponton.demo.loader import KB_FOLDER
from ponton.knowledge import search
from ponton.knowledge.models import SearchEntry, SearchWord, Status
from ponton.knowledge.portability import import_folder
from ponton.knowledge.search import Viewer
from ponton.knowledge.services import (
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
    set_status,
)

ANONYMOUS = Viewer()


def keys(hits: list[search.Hit]) -> list[str]:
    return [hit.translation.article.key for hit in hits]


def first_key(query: str, lang: str, viewer: Viewer = ANONYMOUS) -> str | None:
    hits = search.search(query, lang=lang, viewer=viewer)
    return hits[0].translation.article.key if hits else None


# The two "done when" cases -----------------------------------------------------------


def test_a_french_query_with_a_typo_and_no_accents_finds_the_password_article_first(kb: KB) -> None:
    assert first_key("mot de pase oublie", "fr") == "forgotten-password"


def test_an_english_query_finds_the_password_article_first(kb: KB) -> None:
    assert first_key("reset my password", "en") == "forgotten-password"


def test_the_done_when_queries_find_their_article_first_in_the_demo_knowledge_base(
    db: None,
) -> None:
    report = import_folder(KB_FOLDER)
    assert report.ok, report.errors
    cases = {
        ("mot de pase oublie", "fr"): "forgotten-password",
        ("reset my password", "en"): "forgotten-password",
        ("mdp oublié", "fr"): "forgotten-password",
        ("Mot de passe oublié", "fr"): "forgotten-password",
        ("telecharger ma facure", "fr"): "download-invoice",
        ("download my invoise", "en"): "download-invoice",
        ("erreur E-403", "fr"): "login-error-e403",
        ("box clignote rouge", "fr"): "box-lights",
    }
    found = {case: first_key(*case) for case in cases}
    assert found == cases


# Accents, typos, stems ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("Mot de passe oublié", "fr", "forgotten-password"),
        ("MOT DE PASSE OUBLIE", "fr", "forgotten-password"),
        ("mdp oublie", "fr", "forgotten-password"),
        ("mots de passe oubliés", "fr", "forgotten-password"),
        ("telecharger facture", "fr", "download-invoice"),
        ("télécharger mes factures", "fr", "download-invoice"),
        ("facure", "fr", "download-invoice"),
        ("invoices", "en", "download-invoice"),
        ("downlaod invoice", "en", "download-invoice"),
        ("forgoten pasword", "en", "forgotten-password"),
        ("wifi pasword", "en", "change-wifi-password"),
    ],
)
def test_search_ignores_accents_case_inflections_and_typos(
    kb: KB, query: str, lang: str, expected: str
) -> None:
    assert first_key(query, lang) == expected


def test_search_stays_in_the_language_asked_for(kb: KB) -> None:
    hits = search.search("password", lang="en", viewer=ANONYMOUS)
    assert hits
    assert {hit.translation.language for hit in hits} == {"en"}


def test_a_query_of_only_stop_words_finds_nothing_and_does_not_break(kb: KB) -> None:
    assert search.search("le la les", lang="fr", viewer=ANONYMOUS) == []


def test_an_empty_query_finds_nothing(kb: KB) -> None:
    assert search.search("", lang="fr", viewer=ANONYMOUS) == []
    assert search.search("  ?! ", lang="fr", viewer=ANONYMOUS) == []


def test_a_query_with_search_engine_syntax_is_taken_as_words(kb: KB) -> None:
    for query in ['"mot" AND (passe', "mot* NEAR passe", "passe' | & !oubli", "NOT OR AND"]:
        search.search(query, lang="fr", viewer=ANONYMOUS)  # must not raise
    assert first_key('"mot de passe" OR oublié*', "fr") == "forgotten-password"


def test_a_query_longer_than_any_article_word_does_not_break_search(kb: KB) -> None:
    assert search.search("x" * 500, lang="fr", viewer=ANONYMOUS) == []


def test_results_carry_a_positive_score_best_first(kb: KB) -> None:
    hits = search.search("mot de passe", lang="fr", viewer=ANONYMOUS)
    assert len(hits) >= 2
    scores = [hit.score for hit in hits]
    assert all(score > 0 for score in scores)
    assert scores == sorted(scores, reverse=True)


# Targeting ---------------------------------------------------------------------------


def test_anonymous_visitors_do_not_find_signed_in_articles(kb: KB) -> None:
    assert "change-bank-details" not in keys(
        search.search("coordonnées bancaires", lang="fr", viewer=ANONYMOUS)
    )


def test_a_signed_in_customer_finds_signed_in_articles(kb: KB, customer) -> None:
    viewer = Viewer.for_user(customer)
    assert first_key("coordonnées bancaires", "fr", viewer) == "change-bank-details"


def test_a_residential_customer_does_not_find_business_only_articles(kb: KB, customer) -> None:
    viewer = Viewer.for_user(customer)
    assert "sso-setup" not in keys(search.search("SSO SAML", lang="fr", viewer=viewer))


def test_a_business_customer_finds_business_only_articles(kb: KB, other_customer) -> None:
    viewer = Viewer.for_user(other_customer)
    assert first_key("SSO SAML", "fr", viewer) == "sso-setup"


def test_a_customer_without_a_profile_only_finds_untargeted_articles(
    kb: KB, django_user_model
) -> None:
    bare = django_user_model.objects.create_user("noprofile", role="customer")
    viewer = Viewer.for_user(bare)
    assert viewer.signed_in
    assert first_key("coordonnées bancaires", "fr", viewer) == "change-bank-details"
    assert "sso-setup" not in keys(search.search("SSO SAML", lang="fr", viewer=viewer))


@pytest.mark.parametrize("persona", ["agent", "other_team_agent", "supervisor", "admin"])
def test_staff_find_every_published_article(
    kb: KB, persona: str, request: pytest.FixtureRequest
) -> None:
    viewer = Viewer.for_user(request.getfixturevalue(persona))
    assert viewer.staff
    assert first_key("coordonnées bancaires", "fr", viewer) == "change-bank-details"
    assert first_key("SSO SAML", "fr", viewer) == "sso-setup"


def test_plan_and_module_targeting_narrow_what_a_customer_finds(
    kb: KB, customer, other_customer
) -> None:
    save_article(
        key=kb.wifi_password.key,
        article=kb.wifi_password,
        fields=ArticleFields(category=kb.wifi, modules=["fibre"], plans=["fibre-max", "essentiel"]),
    )
    assert first_key("mot de passe wifi", "fr", Viewer.for_user(customer)) == "change-wifi-password"
    assert "change-wifi-password" not in keys(
        search.search("mot de passe wifi", lang="fr", viewer=Viewer.for_user(other_customer))
    )


# Drafts and unpublishing ---------------------------------------------------------------


def test_drafts_are_never_found(kb: KB, agent) -> None:
    for viewer in (ANONYMOUS, Viewer.for_user(agent)):
        assert "referral-programme" not in keys(
            search.search("parrainage", lang="fr", viewer=viewer)
        )
    assert not SearchEntry.objects.filter(translation=kb.draft_fr).exists()


def test_unpublishing_removes_an_article_from_the_index(kb: KB, agent) -> None:
    assert first_key("télécharger facture", "fr") == "download-invoice"
    set_status(kb.invoice_fr, Status.DRAFT, author=agent)
    assert "download-invoice" not in keys(
        search.search("télécharger facture", lang="fr", viewer=ANONYMOUS)
    )
    assert not SearchEntry.objects.filter(translation=kb.invoice_fr).exists()
    # The English translation is still published and still found.
    assert first_key("download invoice", "en") == "download-invoice"


def test_unpublishing_forgets_words_only_that_article_used(kb: KB, agent) -> None:
    assert SearchWord.objects.filter(language="fr", word="iban").exists()
    set_status(kb.signed_in_fr, Status.DRAFT, author=agent)
    assert not SearchWord.objects.filter(language="fr", word="iban").exists()
    # A word other published articles still use keeps a document count.
    assert SearchWord.objects.get(language="fr", word="passe").documents >= 2


def test_publishing_a_draft_makes_it_findable(kb: KB, agent) -> None:
    set_status(kb.draft_fr, Status.PUBLISHED, author=agent)
    assert first_key("parrainage", "fr") == "referral-programme"


def test_an_edit_is_searchable_at_once(kb: KB, agent) -> None:
    save_translation(
        article=kb.invoice,
        language="fr",
        fields=TranslationFields(
            title="Télécharger une facture",
            body="Vos factures sont aussi envoyées par courrier recommandé sur demande.\n",
            status=Status.PUBLISHED,
        ),
        author=agent,
    )
    assert first_key("courrier recommandé", "fr") == "download-invoice"
    assert "download-invoice" not in keys(search.search("PDF", lang="fr", viewer=ANONYMOUS))


def test_rebuilding_the_index_gives_the_same_results(kb: KB) -> None:
    before = {
        q: keys(search.search(q, lang="fr", viewer=ANONYMOUS)) for q in ["mot de passe", "facture"]
    }
    words_before = sorted(SearchWord.objects.values_list("language", "word", "documents"))
    assert search.rebuild_index() == SearchEntry.objects.count() == 9
    after = {
        q: keys(search.search(q, lang="fr", viewer=ANONYMOUS)) for q in ["mot de passe", "facture"]
    }
    assert after == before
    assert sorted(SearchWord.objects.values_list("language", "word", "documents")) == words_before


# Snippets ------------------------------------------------------------------------------


def test_the_snippet_marks_the_query_words(kb: KB) -> None:
    hit = search.search("lien e-mail", lang="fr", viewer=ANONYMOUS)[0]
    assert "<mark>lien</mark>" in hit.snippet
    assert "<mark>e</mark>-<mark>mail</mark>" in hit.snippet or "<mark>mail</mark>" in hit.snippet


def test_the_snippet_marks_inflected_and_accented_forms_of_the_query_words(kb: KB) -> None:
    hit = search.search("telecharger factures", lang="fr", viewer=ANONYMOUS)[0]
    assert "<mark>factures</mark>" in hit.snippet


def test_the_snippet_escapes_html_from_the_article(kb: KB, agent) -> None:
    save_translation(
        article=kb.wifi_password,
        language="en",
        fields=TranslationFields(
            title="Change your wifi password",
            body="Type `<img src=x onerror=alert(1)>` as the wifi password & save: R&D <b>only</b>.\n",
            status=Status.PUBLISHED,
        ),
        author=agent,
    )
    hit = search.search("wifi password", lang="en", viewer=ANONYMOUS)[0]
    assert "<img" not in hit.snippet
    assert "<b>" not in hit.snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in hit.snippet
    assert "&amp;" in hit.snippet
    assert "<mark>password</mark>" in hit.snippet


def test_snippet_escapes_and_marks_a_plain_text() -> None:
    html = search.snippet('Reset <b>your</b> "password" & more', {"password"}, "en")
    assert html == "Reset &lt;b&gt;your&lt;/b&gt; &quot;<mark>password</mark>&quot; &amp; more"


def test_snippet_picks_the_passage_richest_in_query_words_and_stays_short() -> None:
    body = (
        ("Intro sentence about nothing. " * 10)
        + "Here the invoice is explained. "
        + ("Filler. " * 60)
    )
    html = search.snippet(body, {"invoic"}, "en", length=120)
    assert html.startswith("Here the <mark>invoice</mark>")
    assert len(html.replace("<mark>", "").replace("</mark>", "")) <= 120


# Suggestions while typing ---------------------------------------------------------------


def test_suggestions_complete_an_unfinished_last_word(kb: KB) -> None:
    hits = search.search("mot de pa", lang="fr", viewer=ANONYMOUS, as_you_type=True, snippets=False)
    assert set(keys(hits)) == {"forgotten-password", "change-wifi-password"}
    hits = search.search(
        "mot de passe oub", lang="fr", viewer=ANONYMOUS, as_you_type=True, snippets=False
    )
    assert keys(hits) == ["forgotten-password"]
    hits = search.search("factu", lang="fr", viewer=ANONYMOUS, as_you_type=True, snippets=False)
    assert keys(hits) == ["download-invoice"]


def test_suggestions_narrow_as_the_customer_types(kb: KB) -> None:
    narrow = keys(search.search("mot de passe wi", lang="fr", viewer=ANONYMOUS, as_you_type=True))
    assert narrow == ["change-wifi-password"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mot de passe", "forgotten-password"),
        ("mot de passe oublié", "forgotten-password"),
        ("facture", "download-invoice"),
        ("factures", "download-invoice"),
    ],
)
def test_suggestions_do_not_vanish_once_the_last_word_is_complete(
    kb: KB, typed: str, expected: str
) -> None:
    # The last word is matched as a prefix; a complete word whose stem is shorter
    # ("passe" -> "pass", "facture" -> "factur") must still match.
    hits = search.search(typed, lang="fr", viewer=ANONYMOUS, as_you_type=True, snippets=False)
    assert expected in keys(hits)


def test_suggestions_respect_targeting(kb: KB, customer) -> None:
    hits = search.search("coordonnées banc", lang="fr", viewer=ANONYMOUS, as_you_type=True)
    assert "change-bank-details" not in keys(hits)
    hits = search.search(
        "coordonnées banc", lang="fr", viewer=Viewer.for_user(customer), as_you_type=True
    )
    assert keys(hits) == ["change-bank-details"]


def test_an_article_with_thousands_of_distinct_words_is_indexed_in_bounded_queries(
    kb: KB,
) -> None:
    """PostgreSQL binds at most 65,535 parameters a statement: the vocabulary count of a
    long article must not bind one per word."""
    letters = "bcdfghjklmnpqrstvwxz"
    words = " ".join(
        f"zq{letters[n // 400]}{letters[n // 20 % 20]}{letters[n % 20]}" for n in range(3000)
    )
    largest = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal largest
        largest = max(largest, len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        save_translation(
            article=kb.password,
            language="fr",
            fields=TranslationFields(
                title=kb.password_fr.title, body=words, questions=[], status=Status.PUBLISHED
            ),
            author=kb.password.owner,
        )

    assert largest <= MAX_PARAMS
    assert SearchWord.objects.filter(language="fr", word__startswith="zq").count() >= 2500


def test_a_typo_marks_only_the_word_the_text_answers_it_with() -> None:
    groups = (("pase", "pass", "pag"),)  # the typo, then its corrections, likeliest first
    body = "Choisissez un nouveau mot de passe sur la page Sécurité, pas avant."

    html = search.snippet(body, search.marked_stems(body, groups, "fr"), "fr")

    assert "<mark>passe</mark>" in html
    assert "<mark>page</mark>" not in html and "<mark>pas</mark>" not in html
