"""Search by meaning: the assistant's understanding fused with the full-text ranking."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from ponton.accounts.models import User
from ponton.assistant.encoders import E5Encoder
from ponton.assistant.models import Passage, PassageKind
from ponton.conftest import KB, PUBLISHED, make_article
from ponton.knowledge import search
from ponton.knowledge.models import Status
from ponton.knowledge.search import Viewer
from ponton.knowledge.services import TranslationFields, save_translation, set_status
from ponton.tasks.services import run_due


def _run_tasks() -> None:
    while run_due():
        pass


def _first(query: str, viewer: Viewer | None = None, *, fuse: bool = True) -> int | None:
    hits = search.search(query, lang="fr", viewer=viewer or Viewer(), limit=3, fuse=fuse)
    return hits[0].translation.article_id if hits else None


def _found(query: str, viewer: Viewer, lang: str = "fr") -> set[int]:
    return {h.translation.article_id for h in search.search(query, lang=lang, viewer=viewer)}


def test_search_finds_an_article_asked_for_without_its_words(kb: KB, e5: E5Encoder) -> None:
    _run_tasks()
    question = "impossible de me rappeler le code secret pour entrer dans mon espace"
    assert _first(question) == kb.password.pk


def test_short_keyword_queries_keep_their_article_first(kb: KB, e5: E5Encoder) -> None:
    _run_tasks()
    assert _first("facture") == kb.invoice.pk
    assert _first("factrue") == kb.invoice.pk  # a typo still finds it
    assert _first("cle wifi") == kb.wifi_password.pk  # and so does a missing accent


def test_search_by_meaning_never_shows_an_article_the_reader_may_not_see(
    kb: KB, e5: E5Encoder, customer: User, other_customer: User
) -> None:
    _run_tasks()
    bank = "je veux être prélevé sur mon nouveau compte en banque"
    sso = "se connecter à l'outil de l'entreprise avec le compte de la société"
    anonymous, fibre, business = (
        Viewer(),
        Viewer.for_user(customer),
        Viewer.for_user(other_customer),
    )
    assert kb.signed_in.pk not in _found(bank, anonymous)
    assert kb.signed_in.pk in _found(bank, fibre)
    assert kb.business_only.pk not in _found(sso, fibre)
    assert kb.business_only.pk in _found(sso, business)
    assert kb.draft.pk not in _found("offrir un mois gratuit à un ami", Viewer(staff=True))


def test_nonsense_finds_nothing_so_the_page_offers_a_person(kb: KB, e5: E5Encoder) -> None:
    _run_tasks()
    assert search.search("zzzqqq wxyzt", lang="fr", viewer=Viewer()) == []
    assert search.search("recette de la tarte tatin", lang="fr", viewer=Viewer()) == []


def test_a_question_in_words_no_article_uses_is_answered_by_its_meaning(
    kb: KB, e5: E5Encoder
) -> None:
    """The encoder alone names its nearest articles for anything; the assistant answers
    only what is the knowledge base's, so its word lets meaning alone answer."""
    _run_tasks()
    question = "j'ai zappé mon sésame"
    assert not search.search(question, lang="fr", viewer=Viewer(), fuse=False)
    assert _first(question) == kb.password.pk


def _passages(translation_id: int) -> list[tuple[str, str]]:
    return list(
        Passage.objects.filter(translation_id=translation_id)
        .exclude(kind=PassageKind.SUMMARY)
        .order_by("position")
        .values_list("kind", "digest")
    )


def test_passages_follow_the_article_through_edits_and_publication(
    kb: KB, e5: E5Encoder, agent: User
) -> None:
    _run_tasks()
    before = _passages(kb.invoice_fr.pk)
    assert before[0][0] == PassageKind.TITLE
    assert Passage.objects.filter(translation=kb.invoice_fr, kind=PassageKind.SUMMARY).count() == 1
    assert not Passage.objects.filter(translation=kb.draft_fr).exists()

    edited = save_translation(
        article=kb.invoice,
        language="fr",
        fields=TranslationFields(
            title="Retrouver une facture en PDF",
            body=kb.invoice_fr.body,
            questions=list(kb.invoice_fr.questions),
            status=PUBLISHED,
        ),
        author=agent,
    )
    _run_tasks()
    after = _passages(edited.pk)
    assert after[0] != before[0] and after[1:] == before[1:]

    set_status(edited, Status.DRAFT, author=agent)
    _run_tasks()
    assert not Passage.objects.filter(translation=edited).exists()
    assert kb.invoice.pk not in _found("ma facture en pdf", Viewer())

    set_status(kb.draft_fr, PUBLISHED, author=agent)
    _run_tasks()
    assert Passage.objects.filter(translation=kb.draft_fr).exists()
    assert _first("je voudrais faire profiter un copain d'un mois offert") == kb.draft.pk


def test_without_an_encoder_search_is_the_full_text_ranking(kb: KB) -> None:
    _run_tasks()
    for query in ("mot de passe", "facture pdf", "changer le wifi"):
        fused = search.search(query, lang="fr", viewer=Viewer())
        alone = search.search(query, lang="fr", viewer=Viewer(), fuse=False)
        assert [(h.translation.pk, h.score) for h in fused] == [
            (h.translation.pk, h.score) for h in alone
        ]
    assert not Passage.objects.exists()


@pytest.fixture
def many_invoices(kb: KB, agent: User) -> None:
    for n in range(12):
        make_article(
            f"facture-{n}",
            kb.billing,
            agent,
            {
                "fr": TranslationFields(
                    title=f"Facture numéro {n}",
                    body=f"Tout sur la facture {n}.",
                    status=PUBLISHED,
                )
            },
        )


def test_search_counts_every_match_and_gives_the_next_page(many_invoices: None) -> None:
    first = search.find("facture", lang="fr", viewer=Viewer(), limit=10)
    assert len(first.hits) == 10 and first.total == 13 and not first.total_is_partial
    second = search.find("facture", lang="fr", viewer=Viewer(), limit=10, offset=10)
    assert len(second.hits) == 3
    assert {h.translation.pk for h in first.hits}.isdisjoint(h.translation.pk for h in second.hits)


def test_the_search_page_shows_the_total_and_the_rest_on_the_next_page(
    client: Client, many_invoices: None
) -> None:
    page = client.get("/fr/search", {"q": "facture"})
    html = page.content.decode()
    assert "13 articles trouvés" in html and "page=2" in html
    assert len(page.context["hits"]) == 10
    assert len(client.get("/fr/search", {"q": "facture", "page": 2}).context["hits"]) == 13
    english = client.get("/en/search", {"q": "invoice"}).content.decode()
    assert "1 article found" in english


def test_the_articles_api_keeps_its_shape_and_adds_the_total_and_an_offset(
    client: Client, many_invoices: None
) -> None:
    body = client.get("/api/v1/articles", {"q": "facture", "lang": "fr"}).json()
    assert len(body["results"]) == 10 and body["total"] == 13
    assert {"id", "title", "url", "snippet", "score"} <= set(body["results"][0])
    rest = client.get("/api/v1/articles", {"q": "facture", "lang": "fr", "offset": 10}).json()
    assert len(rest["results"]) == 3


def test_suggestions_while_typing_use_the_same_ranking(
    client: Client, kb: KB, e5: E5Encoder
) -> None:
    _run_tasks()
    typed = "impossible de me rappeler le code secret pour entrer dans mon espa"
    suggested = client.get("/api/v1/articles/suggest", {"q": typed, "lang": "fr"}).json()
    assert suggested["results"][0]["title"] == kb.password_fr.title
    typed_keyword = client.get("/api/v1/articles/suggest", {"q": "factu", "lang": "fr"}).json()
    assert typed_keyword["results"][0]["title"] == kb.invoice_fr.title


def test_reindexing_embeds_the_passages_that_are_missing(kb: KB, e5: E5Encoder) -> None:
    Passage.objects.all().delete()  # as with a new encoder, or after an import
    call_command("kb_reindex", stdout=io.StringIO())
    _run_tasks()
    published = {kb.password_fr.pk, kb.invoice_fr.pk, kb.wifi_password_fr.pk, kb.password_en.pk}
    assert published <= set(Passage.objects.values_list("translation_id", flat=True))
    assert _first("impossible de me rappeler le code secret pour entrer dans mon espace") == (
        kb.password.pk
    )
