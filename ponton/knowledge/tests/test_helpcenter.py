"""The help center pages: always an exit, targeting, journey events, feedback, languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.conftest import KB, PUBLISHED, has_human_exit, make_article
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Feedback, Status
from ponton.knowledge.services import (
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
)


def article_url(translation, lang: str | None = None) -> str:  # type: ignore[no-untyped-def]
    return f"/{lang or translation.language}/a/{translation.slug}/"


# Always an exit (product law 1) ----------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_help_center_page_offers_a_person(client: Client, kb: KB, lang: str) -> None:
    password = kb.password_fr if lang == "fr" else kb.password_en
    pages = {
        "home": f"/{lang}/",
        "category": f"/{lang}/c/{kb.account.slug}/",
        "empty category": f"/{lang}/c/{kb.empty.slug}/",
        "article": article_url(password),
        "search results": f"/{lang}/search?q=mot+de+passe"
        if lang == "fr"
        else f"/{lang}/search?q=password",
        "no result": f"/{lang}/search?q=zzzqqq+wxyzt",
        "search form": f"/{lang}/search",
        "contact form": f"/{lang}/contact/",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert has_human_exit(response.content.decode(), lang), (
            f"no way to a person on the {name} page"
        )


def test_the_no_result_page_puts_the_way_to_a_person_in_its_answer(client: Client, kb: KB) -> None:
    html = client.get("/fr/search?q=zzzqqq+wxyzt").content.decode()
    no_result = html[html.index('class="noresult"') :]
    assert has_human_exit(no_result)


def test_a_missing_article_page_still_offers_a_person(client: Client, kb: KB) -> None:
    response = client.get("/fr/a/this-article-does-not-exist/")
    assert response.status_code == 404
    assert has_human_exit(response.content.decode())


# Search page ----------------------------------------------------------------------------


def test_search_without_a_language_prefix_redirects_and_keeps_the_query(
    client: Client, kb: KB
) -> None:
    response = client.get("/search?q=mot+de+passe")
    assert response.status_code == 302
    assert response["Location"] == "/fr/search?q=mot+de+passe"
    assert client.get(response["Location"]).status_code == 200


def test_search_without_a_language_prefix_follows_the_browser_language(
    client: Client, kb: KB
) -> None:
    response = client.get("/search?q=password", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/en/search?q=password"


def test_the_search_page_lists_the_password_article_first(client: Client, kb: KB) -> None:
    response = client.get("/fr/search", {"q": "mot de pase oublie"})
    hits = response.context["hits"]
    assert hits[0].translation == kb.password_fr
    html = response.content.decode()
    link = f'href="/fr/a/{kb.password_fr.slug}/?q=mot%20de%20pase%20oublie"'
    assert link in html


def test_the_search_page_escapes_the_query(client: Client, kb: KB) -> None:
    response = client.get("/fr/search", {"q": "<script>alert(1)</script>"})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_in_the_wrong_language_offers_the_other_languages_articles(
    client: Client, kb: KB
) -> None:
    response = client.get("/fr/search", {"q": "download invoice"})
    assert response.context["hits"] == []
    assert [h.translation for h in response.context["other_hits"]] == [kb.invoice_en]
    assert f'href="/en/a/{kb.invoice_en.slug}/' in response.content.decode()


def test_the_search_page_hides_articles_the_visitor_may_not_read(
    client: Client, kb: KB, customer
) -> None:
    anonymous = client.get("/fr/search", {"q": "coordonnées bancaires"}).context
    assert kb.signed_in_fr not in [h.translation for h in anonymous["hits"]]
    client.force_login(customer)
    signed_in = client.get("/fr/search", {"q": "coordonnées bancaires"}).context
    assert [h.translation for h in signed_in["hits"]][:1] == [kb.signed_in_fr]
    business = client.get("/fr/search", {"q": "SSO SAML"}).context
    assert kb.business_only_fr not in [h.translation for h in business["hits"]]


def test_the_search_page_records_the_search_in_the_journey(client: Client, kb: KB) -> None:
    client.get("/fr/search", {"q": "mot de passe"})
    event = JourneyEvent.objects.get(kind=EventKind.SEARCH)
    assert event.data == {"query": "mot de passe", "results": 2}
    assert event.language == "fr"
    assert event.visitor_id == client.cookies["ponton_visit"].value


def test_a_search_that_finds_nothing_is_recorded_with_zero_results(client: Client, kb: KB) -> None:
    client.get("/fr/search", {"q": "zzzqqq"})
    assert JourneyEvent.objects.get(kind=EventKind.SEARCH).data == {"query": "zzzqqq", "results": 0}


def test_opening_the_search_page_without_a_query_records_no_search(client: Client, kb: KB) -> None:
    client.get("/fr/search")
    client.get("/fr/search", {"q": "   "})
    assert not JourneyEvent.objects.filter(kind=EventKind.SEARCH).exists()


def test_the_search_page_needs_a_bounded_number_of_queries(
    client: Client, kb: KB, agent, django_assert_max_num_queries
) -> None:
    for n in range(15):
        save_translation(
            article=save_article(
                key=f"password-extra-{n}", fields=ArticleFields(category=kb.account)
            ),
            language="fr",
            fields=TranslationFields(
                title=f"Mot de passe, cas numéro {n}",
                body=f"Un mot de passe pour le cas {n}.",
                status=Status.PUBLISHED,
            ),
            author=agent,
        )
    client.get("/fr/")  # the visitor cookie is set once
    # vocabulary, full-text ranking (every word, then any word while fewer than five pages
    # have every word), candidates, word coverage, snippets' bodies, then the journey event
    # (session lookup, insert): none of them per result (the footer's opening hours come
    # from the cache).
    with django_assert_max_num_queries(8):
        response = client.get("/fr/search", {"q": "mot de passe"})
    assert len(response.context["hits"]) == 10


# Category and home ------------------------------------------------------------------------


def test_the_category_page_lists_only_the_articles_the_visitor_may_read(
    client: Client, kb: KB, customer
) -> None:
    anonymous = client.get(f"/fr/c/{kb.billing.slug}/").context["articles"]
    assert anonymous == [kb.invoice_fr]  # no signed-in article, no draft
    client.force_login(customer)
    signed_in = client.get(f"/fr/c/{kb.billing.slug}/").context["articles"]
    assert set(signed_in) == {kb.invoice_fr, kb.signed_in_fr}


def test_the_business_category_is_empty_for_a_residential_customer(
    client: Client, kb: KB, customer, other_customer
) -> None:
    client.force_login(customer)
    assert client.get(f"/fr/c/{kb.business.slug}/").context["articles"] == []
    client.force_login(other_customer)
    assert client.get(f"/fr/c/{kb.business.slug}/").context["articles"] == [kb.business_only_fr]


def test_an_unknown_category_is_not_found(client: Client, kb: KB) -> None:
    assert client.get("/fr/c/no-such-shelf/").status_code == 404


def test_the_category_page_needs_a_bounded_number_of_queries(
    client: Client, kb: KB, agent, django_assert_max_num_queries
) -> None:
    for n in range(20):
        save_translation(
            article=save_article(
                key=f"invoice-extra-{n}", fields=ArticleFields(category=kb.billing)
            ),
            language="fr",
            fields=TranslationFields(
                title=f"Facture {n}", body="Une facture.", status=Status.PUBLISHED
            ),
            author=agent,
        )
    client.get("/fr/")
    # category, its visible articles, the journey event (session lookup, insert)
    with django_assert_max_num_queries(4):
        response = client.get(f"/fr/c/{kb.billing.slug}/")
    assert len(response.context["articles"]) == 21


def test_the_home_page_needs_a_bounded_number_of_queries(
    client: Client, kb: KB, django_assert_max_num_queries
) -> None:
    client.get("/fr/")
    with django_assert_max_num_queries(6):
        response = client.get("/fr/")
    assert response.status_code == 200


def test_the_home_page_lists_popular_articles_the_visitor_may_read(client: Client, kb: KB) -> None:
    popular = client.get("/fr/").context["popular"]
    assert kb.password_fr in popular
    assert kb.signed_in_fr not in popular
    assert kb.draft_fr not in popular


def test_the_most_read_article_comes_first_on_the_home_page(client: Client, kb: KB) -> None:
    for _ in range(3):
        client.get(article_url(kb.invoice_fr))
    assert client.get("/fr/").context["popular"][0] == kb.invoice_fr


# Article page ----------------------------------------------------------------------------


def test_the_article_page_shows_the_article_and_links_to_the_other_language(
    client: Client, kb: KB
) -> None:
    response = client.get(article_url(kb.password_fr))
    html = response.content.decode()
    assert kb.password_fr.title in html
    assert "<strong>« Mot de passe oublié ? »</strong>" in html
    assert f'href="/en/a/{kb.password_en.slug}/"' in html


def test_viewing_an_article_records_an_article_view(client: Client, kb: KB) -> None:
    client.get(article_url(kb.password_fr))
    event = JourneyEvent.objects.get(kind=EventKind.ARTICLE_VIEW)
    assert event.data == {
        "article": kb.password.pk,
        "translation": kb.password_fr.pk,
        "title": kb.password_fr.title,
    }
    assert not JourneyEvent.objects.filter(kind=EventKind.SEARCH_CLICK).exists()


def test_opening_an_article_from_the_results_records_the_click_and_the_query(
    client: Client, kb: KB
) -> None:
    client.get(article_url(kb.password_fr), {"q": "mdp oublie"})
    click = JourneyEvent.objects.get(kind=EventKind.SEARCH_CLICK)
    assert click.data["query"] == "mdp oublie"
    assert click.data["article"] == kb.password.pk
    assert JourneyEvent.objects.filter(kind=EventKind.ARTICLE_VIEW).count() == 1


def test_anonymous_visitors_cannot_read_a_signed_in_article(client: Client, kb: KB) -> None:
    assert client.get(article_url(kb.signed_in_fr)).status_code == 404
    assert not JourneyEvent.objects.filter(kind=EventKind.ARTICLE_VIEW).exists()


def test_a_signed_in_customer_can_read_a_signed_in_article(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    assert client.get(article_url(kb.signed_in_fr)).status_code == 200


def test_a_residential_customer_cannot_read_a_business_article(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    assert client.get(article_url(kb.business_only_fr)).status_code == 404


def test_a_business_customer_can_read_a_business_article(
    client: Client, kb: KB, other_customer
) -> None:
    client.force_login(other_customer)
    assert client.get(article_url(kb.business_only_fr)).status_code == 200


@pytest.mark.parametrize("persona", ["agent", "other_team_agent", "supervisor", "admin"])
def test_staff_can_read_every_published_article(
    client: Client, kb: KB, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(article_url(kb.signed_in_fr)).status_code == 200
    assert client.get(article_url(kb.business_only_en)).status_code == 200


@pytest.mark.parametrize("persona", [None, "customer", "agent", "admin"])
def test_nobody_reads_a_draft_on_the_help_center(
    client: Client, kb: KB, persona: str | None, request: pytest.FixtureRequest
) -> None:
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(article_url(kb.draft_fr)).status_code == 404


def test_an_article_link_keeps_working_after_its_title_changes(
    client: Client, kb: KB, agent
) -> None:
    old_url = article_url(kb.invoice_fr)
    renamed = save_translation(
        article=kb.invoice,
        language="fr",
        fields=TranslationFields(
            title="Télécharger et imprimer une facture",
            body=kb.invoice_fr.body,
            status=Status.PUBLISHED,
        ),
        author=agent,
    )
    assert renamed.slug != kb.invoice_fr.slug
    response = client.get(old_url, follow=True)
    assert response.status_code == 200
    assert response.context["translation"] == renamed


def test_an_article_is_served_only_under_its_own_language(client: Client, kb: KB) -> None:
    assert client.get(article_url(kb.password_fr, "en")).status_code in (301, 302, 404)


# Feedback -------------------------------------------------------------------------------


def test_answering_no_shows_the_way_to_a_person_and_records_the_feedback(
    client: Client, kb: KB
) -> None:
    url = article_url(kb.password_fr)
    client.get(url)
    response = client.post(f"{url}feedback", {"helpful": "no"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?feedback=no#feedback"
    html = client.get(response["Location"]).content.decode()
    feedback_section = html[html.index('id="feedback"') :]
    assert has_human_exit(feedback_section)
    feedback = Feedback.objects.get()
    assert (feedback.translation, feedback.helpful) == (kb.password_fr, False)
    event = JourneyEvent.objects.get(kind=EventKind.ARTICLE_FEEDBACK)
    assert event.data["helpful"] is False
    assert event.data["article"] == kb.password.pk
    assert event.visitor_id == client.cookies["ponton_visit"].value


def test_answering_yes_records_helpful_feedback_for_the_signed_in_customer(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    url = article_url(kb.invoice_fr)
    response = client.post(f"{url}feedback", {"helpful": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{url}?feedback=yes#feedback"
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.customer) == (True, customer)
    event = JourneyEvent.objects.get(kind=EventKind.ARTICLE_FEEDBACK)
    assert (event.customer, event.data["helpful"]) == (customer, True)


def test_adding_a_comment_after_no_does_not_count_a_second_negative_answer(
    client: Client, kb: KB
) -> None:
    url = article_url(kb.password_fr)
    client.post(f"{url}feedback", {"helpful": "no"})
    # The form shown after "No" asks what was missing.
    thanked = client.post(
        f"{url}feedback",
        {"helpful": "no", "comment": "Je n'ai plus accès à mon e-mail"},
        follow=True,
    )
    html = thanked.content.decode()
    assert "Merci, votre commentaire a bien été envoyé." in html
    assert has_human_exit(html)
    assert Feedback.objects.filter(helpful=False).count() == 1
    assert Feedback.objects.get().comment == "Je n'ai plus accès à mon e-mail"
    assert JourneyEvent.objects.filter(kind=EventKind.ARTICLE_FEEDBACK).count() == 1


def test_answering_the_feedback_question_does_not_count_a_second_article_view(
    client: Client, kb: KB
) -> None:
    url = article_url(kb.password_fr)
    client.get(url)
    client.post(f"{url}feedback", {"helpful": "no"}, follow=True)
    assert JourneyEvent.objects.filter(kind=EventKind.ARTICLE_VIEW).count() == 1


def test_feedback_must_be_posted(client: Client, kb: KB) -> None:
    assert client.get(f"{article_url(kb.password_fr)}feedback").status_code == 405
    assert not Feedback.objects.exists()


def test_anonymous_visitors_cannot_give_feedback_on_a_signed_in_article(
    client: Client, kb: KB
) -> None:
    response = client.post(f"{article_url(kb.signed_in_fr)}feedback", {"helpful": "no"})
    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_a_residential_customer_cannot_give_feedback_on_a_business_article(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    response = client.post(f"{article_url(kb.business_only_fr)}feedback", {"helpful": "yes"})
    assert response.status_code == 404
    assert not Feedback.objects.exists()


# Languages ------------------------------------------------------------------------------


def test_the_root_redirects_to_the_french_help_center(client: Client, kb: KB) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/fr/"


def test_the_language_switch_moves_to_the_english_url(client: Client, kb: KB) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/fr/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert '<html lang="en">' in page.content.decode()


def test_the_language_switch_keeps_the_search_query(client: Client, kb: KB) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/fr/search?q=facture"})
    assert response["Location"] == "/en/search?q=facture"


def test_the_language_switch_on_an_article_leads_to_the_same_article_in_english(
    client: Client, kb: KB
) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": article_url(kb.password_fr)}, follow=True
    )
    assert response.status_code == 200
    assert response.context["translation"] == kb.password_en


def test_the_language_switch_ignores_an_outside_next_url(client: Client, kb: KB) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_french_pages_are_written_in_french(client: Client, kb: KB) -> None:
    html = client.get("/fr/").content.decode()
    assert "Parler à un conseiller" in html
    assert "Talk to a person" not in html
    assert '<html lang="fr">' in html


def test_english_pages_are_written_in_english(client: Client, kb: KB) -> None:
    html = client.get("/en/").content.decode()
    assert "Talk to a person" in html
    assert "Parler à un conseiller" not in html


def test_every_page_names_its_icon_and_browsers_asking_for_favicon_ico_find_it(
    client: Client, kb: KB
) -> None:
    html = client.get("/fr/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html

    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("/ponton/favicon.svg")


def test_search_says_when_it_shows_only_the_most_relevant_and_shows_more_on_demand(
    client: Client, kb: KB, agent: Any
) -> None:
    for n in range(14):
        make_article(
            f"box-{n}",
            kb.wifi,
            agent,
            {
                "fr": TranslationFields(
                    f"Box modèle {n} : voyant rouge", "Voyant rouge.", [], PUBLISHED
                )
            },
        )

    first = client.get("/fr/search", {"q": "voyant rouge"})
    second = client.get("/fr/search", {"q": "voyant rouge", "page": 2})

    assert len(first.context["hits"]) == 10 and first.context["more"]
    html = first.content.decode()
    assert "14 articles trouvés · 10 affichés" in html
    assert "page=2#result-11" in html
    assert len(second.context["hits"]) == 14 and not second.context["more"]
    assert "14 articles trouvés" in second.content.decode()
    assert client.get("/fr/search", {"q": "voyant rouge", "page": "x"}).status_code == 200


def test_a_category_has_a_french_address_on_french_pages_and_the_other_one_redirects(
    client: Client, kb: KB
) -> None:
    kb.account.slug_fr = "compte-et-acces"
    kb.account.save()

    home = client.get("/fr/").content.decode()
    french = client.get("/fr/c/compte-et-acces/")
    english_under_fr = client.get(f"/fr/c/{kb.account.slug}/")
    french_under_en = client.get("/en/c/compte-et-acces/")

    assert 'href="/fr/c/compte-et-acces/"' in home
    assert french.status_code == 200
    assert (english_under_fr.status_code, english_under_fr["Location"]) == (
        301,
        "/fr/c/compte-et-acces/",
    )
    assert (french_under_en.status_code, french_under_en["Location"]) == (
        301,
        f"/en/c/{kb.account.slug}/",
    )
