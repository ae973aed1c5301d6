"""The knowledge-base editor: who may open it, writing, preview, publishing, history."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.conftest import KB
from ponton.knowledge import search
from ponton.knowledge.models import Article, ArticleTranslation, ArticleVersion, Status
from ponton.knowledge.search import Viewer
from ponton.knowledge.services import TranslationFields, save_translation

NEW = "/fr/manage/articles/new"


def edit_url(article: Article, lang: str = "fr") -> str:
    return f"/fr/manage/articles/{article.pk}/{lang}/"


def form_data(kb: KB, **overrides: Any) -> dict[str, Any]:
    data = {
        "key": "restart-box",
        "category": kb.wifi.pk,
        "audience": "public",
        "plans": "",
        "modules": "fibre, tv",
        "segments": "",
        "owner": "",
        "review_due": "2030-01-31",
        "title": "Redémarrer la box",
        "body": "Débranchez la box **dix secondes**, puis rebranchez-la.",
        "questions": "ma box ne marche plus\nredemarrer box",
        "status": "draft",
        "note": "Première version",
        "action": "save",
    }
    data.update(overrides)
    return data


def editor_pages(kb: KB) -> list[tuple[str, str]]:
    version = kb.password_fr.versions.first()
    assert version is not None
    return [
        ("get", "/fr/manage/articles/"),
        ("get", NEW),
        ("get", edit_url(kb.password)),
        ("get", f"{edit_url(kb.password)}history"),
        ("post", f"/fr/manage/versions/{version.pk}/restore"),
        ("post", "/fr/manage/preview"),
    ]


# Who may open it ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_from_every_editor_page(
    client: Client, kb: KB
) -> None:
    for method, url in editor_pages(kb):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/fr/accounts/login/?next="), url


@pytest.mark.parametrize("persona", ["customer", "other_customer"])
def test_customers_are_refused_every_editor_page(
    client: Client, kb: KB, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    for method, url in editor_pages(kb):
        assert getattr(client, method)(url).status_code == 403, url
    assert kb.password_fr.versions.count() == 1


@pytest.mark.parametrize("persona", ["agent", "other_team_agent", "supervisor", "admin"])
def test_staff_can_open_the_editor(
    client: Client, kb: KB, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/fr/manage/articles/").status_code == 200
    assert client.get(edit_url(kb.password)).status_code == 200


def test_a_customer_cannot_create_an_article(client: Client, kb: KB, customer) -> None:
    client.force_login(customer)
    assert client.post(NEW, form_data(kb)).status_code == 403
    assert not Article.objects.filter(key="restart-box").exists()


def test_the_editor_pages_offer_no_customer_exit(client: Client, kb: KB, agent) -> None:
    # The exit is for customers; the editor is a staff tool.
    client.force_login(agent)
    html = client.get("/fr/manage/articles/").content.decode()
    assert 'class="exit"' not in html


# Writing ---------------------------------------------------------------------------------


def test_an_agent_creates_an_article_as_a_draft(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    response = client.post(NEW, form_data(kb))
    article = Article.objects.get(key="restart-box")
    assert response.status_code == 302
    assert response["Location"] == edit_url(article)
    assert article.category == kb.wifi
    assert article.modules == ["fibre", "tv"]
    assert str(article.review_due) == "2030-01-31"
    translation = article.translations.get()
    assert translation.language == "fr"
    assert translation.status == Status.DRAFT
    assert translation.questions == ["ma box ne marche plus", "redemarrer box"]
    assert "<strong>dix secondes</strong>" in translation.body_html
    version = translation.versions.get()
    assert (version.number, version.author, version.note) == (1, agent, "Première version")
    # A draft is not on the help center.
    assert client.get(f"/fr/a/{translation.slug}/").status_code == 404


def test_the_editor_lists_the_new_article(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    client.post(NEW, form_data(kb, owner=agent.pk))
    html = client.get("/fr/manage/articles/", {"q": "restart"}).content.decode()
    assert "restart-box" in html
    assert "Karim Benali" in html
    assert "forgotten-password" not in html


def test_the_editor_lists_an_article_that_has_no_owner(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    client.post(NEW, form_data(kb, owner=""))
    response = client.get("/fr/manage/articles/")
    assert response.status_code == 200
    assert "restart-box" in response.content.decode()


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "draft"},
        {"status": "published"},
        {"category": "billing-payment"},
        {"review": "overdue"},
    ],
)
def test_the_editor_list_filters(client: Client, kb: KB, agent, filters: dict[str, str]) -> None:
    client.force_login(agent)
    articles = list(client.get("/fr/manage/articles/", filters).context["articles"])
    expected = {
        "draft": {"referral-programme"},
        "published": {a.key for a in Article.objects.exclude(key="referral-programme")},
        "billing-payment": {"download-invoice", "change-bank-details", "referral-programme"},
        "overdue": set(),
    }[next(iter(filters.values()))]
    assert {a.key for a in articles} == expected


def test_an_invalid_article_is_not_saved_and_the_text_is_kept(
    client: Client, kb: KB, agent
) -> None:
    client.force_login(agent)
    response = client.post(NEW, form_data(kb, title="", key="restart-box"))
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "Débranchez la box **dix secondes**" in response.content.decode()
    assert not Article.objects.filter(key="restart-box").exists()


def test_a_key_already_used_is_refused(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    response = client.post(NEW, form_data(kb, key="forgotten-password"))
    assert response.status_code == 200
    assert "key" in response.context["form"].errors
    assert kb.password.translations.count() == 2
    assert kb.password_fr.versions.count() == 1


def test_preview_renders_without_saving(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    response = client.post(NEW, form_data(kb, action="preview"))
    assert response.status_code == 200
    assert "<strong>dix secondes</strong>" in response.context["preview"]
    assert not Article.objects.filter(key="restart-box").exists()


def test_live_preview_returns_the_rendered_html(client: Client, agent) -> None:
    client.force_login(agent)
    response = client.post("/fr/manage/preview", {"body": "# Titre\n\n*vite*"})
    assert response.status_code == 200
    assert "<em>vite</em>" in response.json()["html"]


def test_live_preview_must_be_posted(client: Client, agent) -> None:
    client.force_login(agent)
    assert client.get("/fr/manage/preview").status_code == 405


def test_publishing_puts_the_article_on_the_help_center_and_in_search(
    client: Client, kb: KB, agent
) -> None:
    client.force_login(agent)
    client.post(NEW, form_data(kb))
    article = Article.objects.get(key="restart-box")
    client.post(edit_url(article), form_data(kb, status="published", note="Relu"))
    translation = article.translations.get()
    assert translation.status == Status.PUBLISHED
    assert translation.published_at is not None
    client.logout()
    assert client.get(f"/fr/a/{translation.slug}/").status_code == 200
    hits = search.search("redemarrer la box", lang="fr", viewer=Viewer())
    assert hits[0].translation == translation


def test_an_agent_writes_the_english_translation_of_an_article(
    client: Client, kb: KB, agent
) -> None:
    client.force_login(agent)
    client.post(NEW, form_data(kb, status="published"))
    article = Article.objects.get(key="restart-box")
    response = client.post(
        edit_url(article, "en"),
        form_data(
            kb,
            title="Restart the box",
            body="Unplug the box for **ten seconds**.",
            status="published",
        ),
    )
    assert response["Location"] == edit_url(article, "en")
    assert set(article.translations.values_list("language", flat=True)) == {"fr", "en"}
    english = article.translations.get(language="en")
    assert english.slug == "restart-the-box"
    assert client.get(f"/en/a/{english.slug}/").status_code == 200


def test_an_unknown_editor_language_falls_back_to_the_interface_language(
    client: Client, kb: KB, agent
) -> None:
    client.force_login(agent)
    response = client.get(f"/fr/manage/articles/{kb.password.pk}/de/")
    assert response.status_code == 200
    assert response.context["lang"] == "fr"


def test_editing_an_unknown_article_is_not_found(client: Client, agent) -> None:
    client.force_login(agent)
    assert client.get("/fr/manage/articles/999999/fr/").status_code == 404


# History -------------------------------------------------------------------------------


def test_history_lists_every_version_with_its_author_and_restoring_makes_a_new_version(
    client: Client, kb: KB, agent, other_team_agent
) -> None:
    client.force_login(agent)
    client.post(NEW, form_data(kb, status="published", body="Version une."))
    article = Article.objects.get(key="restart-box")
    client.force_login(other_team_agent)
    client.post(
        edit_url(article), form_data(kb, status="published", body="Version deux.", note="Simplifié")
    )
    translation = article.translations.get()
    assert translation.versions.count() == 2

    response = client.get(f"{edit_url(article)}history")
    assert response.status_code == 200
    versions = list(response.context["versions"])
    assert [(v.number, v.author) for v in versions] == [(2, other_team_agent), (1, agent)]
    html = response.content.decode()
    assert "Karim Benali" in html and "Julie Moreau" in html

    first = versions[-1]
    client.force_login(agent)
    response = client.post(f"/fr/manage/versions/{first.pk}/restore")
    assert response.status_code == 302
    assert response["Location"] == edit_url(article)
    translation.refresh_from_db()
    assert translation.body == "Version une.\n"
    assert translation.status == Status.PUBLISHED
    assert [(v.number, v.author_id) for v in translation.versions.all()] == [
        (3, agent.pk),
        (2, other_team_agent.pk),
        (1, agent.pk),
    ]
    assert "1" in translation.versions.first().note  # "Restored version 1"
    # The restored text is what customers read and find.
    assert "Version une." in client.get(f"/fr/a/{translation.slug}/").content.decode()


def test_the_history_shows_versions_written_by_an_import(client: Client, kb: KB, agent) -> None:
    save_translation(
        article=kb.invoice,
        language="fr",
        fields=TranslationFields(
            title="Télécharger une facture", body="Importé.", status=Status.PUBLISHED
        ),
        author=None,
        note="Imported",
    )
    client.force_login(agent)
    response = client.get(f"{edit_url(kb.invoice)}history")
    assert response.status_code == 200
    assert [v.author for v in response.context["versions"]] == [None, agent]


def test_restoring_must_be_posted(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    version = kb.password_fr.versions.get()
    assert client.get(f"/fr/manage/versions/{version.pk}/restore").status_code == 405
    assert kb.password_fr.versions.count() == 1


def test_restoring_an_unknown_version_is_not_found(client: Client, agent) -> None:
    client.force_login(agent)
    assert client.post("/fr/manage/versions/999999/restore").status_code == 404


def test_the_history_of_a_missing_translation_is_not_found(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    assert client.get(f"{edit_url(kb.signed_in, 'en')}history").status_code == 404


def test_unpublishing_from_the_editor_takes_the_article_off_the_help_center(
    client: Client, kb: KB, agent
) -> None:
    client.force_login(agent)
    data = form_data(
        kb,
        key=kb.invoice.key,
        category=kb.billing.pk,
        modules="",
        title=kb.invoice_fr.title,
        body=kb.invoice_fr.body,
        questions="\n".join(kb.invoice_fr.questions),
        status="draft",
    )
    client.post(edit_url(kb.invoice), data)
    client.logout()
    assert client.get(f"/fr/a/{kb.invoice_fr.slug}/").status_code == 404
    assert search.search("télécharger facture", lang="fr", viewer=Viewer()) == []
    assert ArticleTranslation.objects.get(pk=kb.invoice_fr.pk).versions.count() == 2
    assert (
        ArticleVersion.objects.filter(translation=kb.invoice_fr, status=Status.DRAFT).count() == 1
    )


def test_the_french_editor_shows_the_review_date_in_iso_and_saving_keeps_it(
    client: Client, kb: KB, agent
) -> None:
    """A date input only takes ISO: a French "15/03/2027" showed empty and was saved as no date."""
    client.force_login(agent)
    client.post(NEW, form_data(kb, review_due="2027-03-15"))
    article = Article.objects.get(key="restart-box")
    page = client.get(edit_url(article)).content.decode()
    assert 'type="date"' in page and 'value="2027-03-15"' in page
    assert "15/03/2027" not in page
    client.post(edit_url(article), form_data(kb, review_due="2027-03-15", title="Redémarrer"))
    article.refresh_from_db()
    assert str(article.review_due) == "2027-03-15"


def test_the_editor_names_owners_as_the_rest_of_the_product_does(
    client: Client, kb: KB, agent
) -> None:
    client.force_login(agent)
    page = client.get(edit_url(kb.password)).content.decode()
    assert ">Karim Benali</option>" in page
    assert ">karim</option>" not in page
