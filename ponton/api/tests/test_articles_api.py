"""The public help-center API: `GET /api/v1/articles`, suggestions, and the OpenAPI document."""

from __future__ import annotations

import pytest
from django.test import Client

from ponton.accounts.services import create_api_token
from ponton.conftest import KB

ARTICLES = "/api/v1/articles"
SUGGEST = "/api/v1/articles/suggest"


def result_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [r["id"] for r in response.json()["results"]]


def test_article_search_answers_anonymous_visitors_with_the_documented_shape(
    client: Client, kb: KB
) -> None:
    response = client.get(ARTICLES, {"q": "mot de pase oublie", "lang": "fr"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    results = response.json()["results"]
    assert results
    first = results[0]
    assert {"id", "title", "url", "snippet", "score"} <= set(first)
    assert first["id"] == kb.password.pk
    assert first["title"] == kb.password_fr.title
    assert first["url"] == f"/fr/a/{kb.password_fr.slug}/"
    assert isinstance(first["score"], float) and first["score"] > 0
    assert "<mark>" in first["snippet"]


def test_article_search_in_english_links_to_the_english_page(client: Client, kb: KB) -> None:
    response = client.get(ARTICLES, {"q": "reset my password", "lang": "en"})
    first = response.json()["results"][0]
    assert first["id"] == kb.password.pk
    assert first["title"] == "Forgotten password: reset it"
    assert first["url"] == f"/en/a/{kb.password_en.slug}/"
    # The URL really opens the article.
    assert client.get(first["url"]).status_code == 200


def test_article_search_defaults_to_french(client: Client, kb: KB) -> None:
    response = client.get(ARTICLES, {"q": "facture"})
    assert response.status_code == 200
    assert result_ids(response) == [kb.invoice.pk]


@pytest.mark.parametrize("lang", ["de", "FR", "fr-fr", "xx"])
def test_article_search_refuses_an_unknown_language(client: Client, kb: KB, lang: str) -> None:
    response = client.get(ARTICLES, {"q": "facture", "lang": lang})
    assert response.status_code == 400
    assert "lang" in response.json()["errors"]


def test_article_search_without_a_query_is_a_bad_request(client: Client, kb: KB) -> None:
    assert client.get(ARTICLES, {"lang": "fr"}).status_code == 400


def test_article_search_with_an_empty_query_returns_no_results(client: Client, kb: KB) -> None:
    response = client.get(ARTICLES, {"q": "", "lang": "fr"})
    assert response.status_code == 200
    assert response.json() == {"results": [], "total": 0, "total_is_partial": False}


def test_article_search_refuses_an_overlong_query(client: Client, kb: KB) -> None:
    assert client.get(ARTICLES, {"q": "x" * 201, "lang": "fr"}).status_code == 400


def test_article_search_honours_limit(client: Client, kb: KB) -> None:
    response = client.get(ARTICLES, {"q": "mot de passe", "lang": "fr", "limit": 1})
    assert len(response.json()["results"]) == 1
    assert client.get(ARTICLES, {"q": "x", "limit": 0}).status_code == 400
    assert client.get(ARTICLES, {"q": "x", "limit": 51}).status_code == 400


def test_article_search_never_returns_drafts(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    assert kb.draft.pk not in result_ids(client.get(ARTICLES, {"q": "parrainage", "lang": "fr"}))


def test_article_search_hides_signed_in_articles_from_anonymous_visitors(
    client: Client, kb: KB
) -> None:
    response = client.get(ARTICLES, {"q": "coordonnées bancaires IBAN", "lang": "fr"})
    assert kb.signed_in.pk not in result_ids(response)


def test_article_search_shows_signed_in_articles_to_a_signed_in_customer(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    response = client.get(ARTICLES, {"q": "coordonnées bancaires IBAN", "lang": "fr"})
    assert result_ids(response)[:1] == [kb.signed_in.pk]


def test_article_search_hides_business_articles_from_a_residential_customer(
    client: Client, kb: KB, customer
) -> None:
    client.force_login(customer)
    assert kb.business_only.pk not in result_ids(
        client.get(ARTICLES, {"q": "SSO SAML", "lang": "fr"})
    )


def test_article_search_shows_business_articles_to_a_business_customer(
    client: Client, kb: KB, other_customer
) -> None:
    client.force_login(other_customer)
    assert result_ids(client.get(ARTICLES, {"q": "SSO SAML", "lang": "en"}))[:1] == [
        kb.business_only.pk
    ]


def test_an_agent_with_a_bearer_token_sees_every_published_article(
    client: Client, kb: KB, agent
) -> None:
    token = create_api_token(agent)
    response = client.get(
        ARTICLES,
        {"q": "coordonnées bancaires IBAN", "lang": "fr"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    assert kb.signed_in.pk in result_ids(response)


def test_article_search_refuses_an_invalid_bearer_token(client: Client, kb: KB) -> None:
    response = client.get(
        ARTICLES, {"q": "facture"}, HTTP_AUTHORIZATION="Bearer pt_not-a-real-token"
    )
    assert response.status_code == 401


def test_a_deactivated_users_token_no_longer_works(client: Client, kb: KB, agent) -> None:
    token = create_api_token(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    response = client.get(ARTICLES, {"q": "facture"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def test_article_search_is_read_only(client: Client, kb: KB) -> None:
    assert client.post(ARTICLES, {"q": "facture"}).status_code in (403, 405)


# Suggestions --------------------------------------------------------------------------


def test_suggestions_complete_what_the_customer_is_typing(client: Client, kb: KB) -> None:
    response = client.get(SUGGEST, {"q": "mot de pa", "lang": "fr"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert {"title": kb.password_fr.title, "url": f"/fr/a/{kb.password_fr.slug}/"} in results
    assert {r["title"] for r in results} == {kb.password_fr.title, kb.wifi_password_fr.title}
    narrowed = client.get(SUGGEST, {"q": "mot de passe oub", "lang": "fr"}).json()["results"]
    assert [r["title"] for r in narrowed] == [kb.password_fr.title]


def test_suggestions_in_english(client: Client, kb: KB) -> None:
    results = client.get(SUGGEST, {"q": "downl", "lang": "en"}).json()["results"]
    assert [r["title"] for r in results] == ["Download an invoice"]


def test_suggestions_are_at_most_eight(client: Client, kb: KB) -> None:
    response = client.get(SUGGEST, {"q": "mo", "lang": "fr", "limit": 50})
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 8


def test_suggestions_for_one_letter_are_empty(client: Client, kb: KB) -> None:
    assert client.get(SUGGEST, {"q": "m", "lang": "fr"}).json() == {"results": []}


def test_suggestions_refuse_an_unknown_language(client: Client, kb: KB) -> None:
    assert client.get(SUGGEST, {"q": "mot", "lang": "es"}).status_code == 400


def test_suggestions_hide_signed_in_articles_from_anonymous_visitors(
    client: Client, kb: KB
) -> None:
    results = client.get(SUGGEST, {"q": "coordonnées banc", "lang": "fr"}).json()["results"]
    assert results == []


# OpenAPI -------------------------------------------------------------------------------


def test_the_openapi_document_describes_the_article_search(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/articles" in document["paths"]
    operation = document["paths"]["/api/v1/articles"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"q", "lang"} <= parameters
    assert "/api/v1/articles/suggest" in document["paths"]


def test_the_health_check_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
