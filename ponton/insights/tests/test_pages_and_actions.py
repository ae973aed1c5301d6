"""The supervisors' pages, their CSV, and the actions that turn findings into
knowledge-base work: drafts from gaps and from replies, proposed edits."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.conftest import KB
from ponton.connectors.webform.services import ContactRequest, request_contact
from ponton.conversations.lifecycle import assign, reply_as_agent
from ponton.conversations.models import Author, Message
from ponton.insights.services import draft_article_from_reply
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event
from ponton.knowledge.models import Article, ArticleProposal, ProposalStatus, Status
from ponton.knowledge.proposals import accept_proposal, propose_edit, reject_proposal
from ponton.tasks.models import Task

PAGES = ["/fr/manage/insights/", "/fr/manage/insights/reasons", "/fr/manage/insights/gaps"]


@pytest.fixture
def some_traffic(kb: KB, customer: User) -> None:
    now = timezone.now() - timedelta(days=1)
    for minutes, query, results in [(0, "carte cadeau", 0), (40, "carte cadeau noel", 0)]:
        record_event(
            EventKind.SEARCH,
            visitor_id="v1",
            data={"query": query, "results": results},
            language="fr",
            occurred_at=now + timedelta(minutes=minutes),
        )
    request_contact(ContactRequest(text="Ma facture est fausse", customer=customer))


@pytest.mark.parametrize("url", PAGES)
def test_insights_pages_are_for_supervisors_only(
    client: Client, url: str, customer: User, agent: User, supervisor: User, admin: User
) -> None:
    assert client.get(url).status_code == 302  # to sign in
    for user, status in [(customer, 403), (agent, 403), (supervisor, 200), (admin, 200)]:
        client.force_login(user)
        assert client.get(url).status_code == status, user


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_dashboard_shows_tiles_charts_as_svg_and_their_numbers(
    client: Client, supervisor: User, some_traffic: None, lang: str
) -> None:
    client.force_login(supervisor)
    html = client.get(f"/{lang}/manage/insights/?days=7").content.decode()
    assert html.count('<svg class="chart"') >= 4
    assert "<details>" in html
    assert "Indice de mur" in html or "Wall index" in html
    assert "http://" not in html.split("<main")[1].split("</main>")[0]  # nothing from elsewhere


def test_the_gap_page_lists_unanswered_searches_with_a_draft_action(
    client: Client, supervisor: User, some_traffic: None
) -> None:
    client.force_login(supervisor)
    html = client.get("/fr/manage/insights/gaps?days=7").content.decode()
    assert "carte cadeau" in html
    assert 'action="/fr/manage/insights/gaps/draft"' in html


def test_every_table_has_a_csv(client: Client, supervisor: User, some_traffic: None) -> None:
    client.force_login(supervisor)
    for table in [
        "kpis",
        "daily",
        "funnel",
        "handoff-reasons",
        "csat",
        "reasons",
        "gaps",
        "negative-feedback",
        "overdue-reviews",
    ]:
        response = client.get(f"/fr/manage/insights/export/{table}.csv?days=7")
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows and rows[0], table
    kpis = client.get("/fr/manage/insights/export/kpis.csv?days=7").content.decode("utf-8-sig")
    assert "selfcare_usage_rate" in kpis
    assert client.get("/fr/manage/insights/export/nothing.csv").status_code == 404


def test_a_gap_becomes_a_draft_assigned_to_its_owner_in_one_action(
    client: Client, supervisor: User, agent: User, kb: KB
) -> None:
    client.force_login(supervisor)
    response = client.post(
        "/fr/manage/insights/gaps/draft",
        {
            "title": "carte cadeau",
            "language": "fr",
            "question": ["carte cadeau", "offrir une carte cadeau"],
            "owner": agent.pk,
            "category": kb.billing.pk,
        },
    )
    article = Article.objects.get(key="carte-cadeau")
    translation = article.translations.get()
    assert response.status_code == 302
    assert response["Location"] == f"/fr/manage/articles/{article.pk}/fr/"
    assert article.owner == agent
    assert article.review_due is not None
    assert translation.status == Status.DRAFT
    assert translation.title == "Carte cadeau"
    assert translation.questions == ["carte cadeau", "offrir une carte cadeau"]
    assert translation.versions.count() == 1


def test_an_agent_cannot_draft_from_a_gap(client: Client, agent: User, kb: KB) -> None:
    client.force_login(agent)
    response = client.post(
        "/fr/manage/insights/gaps/draft", {"title": "x", "language": "fr", "question": ["x"]}
    )
    assert response.status_code == 403


# Drafts from replies -------------------------------------------------------------------


@pytest.fixture
def answered(kb: KB, customer: User, agent: User) -> Message:
    conversation = request_contact(
        ContactRequest(text="Comment activer la messagerie vocale ?", customer=customer)
    )
    return reply_as_agent(
        conversation, agent=agent, text="Composez le 888 puis suivez le guide vocal."
    )


def test_an_agent_reply_becomes_a_draft_with_the_customers_question(
    answered: Message, agent: User
) -> None:
    translation = draft_article_from_reply(answered, by=agent)
    assert translation.status == Status.DRAFT
    assert translation.title == "Comment activer la messagerie vocale ?"
    assert translation.questions == ["Comment activer la messagerie vocale ?"]
    assert translation.body.strip() == "Composez le 888 puis suivez le guide vocal."
    assert translation.article.owner == agent


def test_the_draft_from_reply_url_takes_a_message_id_and_is_for_staff(
    client: Client, answered: Message, agent: User, customer: User
) -> None:
    url = f"/fr/manage/insights/replies/{answered.pk}/draft"
    client.force_login(customer)
    assert client.post(url).status_code == 403
    client.force_login(agent)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert Article.objects.filter(owner=agent, translations__status=Status.DRAFT).exists()


def test_only_an_agent_reply_in_scope_can_become_a_draft(
    client: Client, answered: Message, other_team_agent: User, agent: User, supervisor: User
) -> None:
    customer_message = answered.conversation.messages.get(author=Author.CUSTOMER)
    client.force_login(agent)
    assert (
        client.post(f"/fr/manage/insights/replies/{customer_message.pk}/draft").status_code == 404
    )
    assign(answered.conversation, to=agent, team=agent.teams.get(), by=supervisor)
    client.force_login(other_team_agent)
    assert client.post(f"/fr/manage/insights/replies/{answered.pk}/draft").status_code == 404


# Proposed edits --------------------------------------------------------------------------


def propose(kb: KB, by: User) -> ArticleProposal:
    return propose_edit(
        kb.invoice_fr,
        title=kb.invoice_fr.title,
        body=kb.invoice_fr.body + "\nLes factures de plus de 24 mois sont sur demande.\n",
        questions=[*kb.invoice_fr.questions, "ancienne facture"],
        note="Trois clients cette semaine",
        by=by,
    )


def test_the_owner_accepts_a_proposed_edit_and_the_article_is_republished_and_relearned(
    kb: KB, agent: User, other_team_agent: User
) -> None:
    proposal = propose(kb, other_team_agent)  # kb articles belong to `agent`
    Task.objects.all().delete()
    translation = accept_proposal(proposal, by=agent)
    assert "sur demande" in translation.body
    assert "ancienne facture" in translation.questions
    assert translation.status == Status.PUBLISHED
    assert translation.versions.count() == 2
    assert Task.objects.filter(name="assistant.retrain").exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.reviewed_by == agent


def test_a_rejected_proposal_keeps_the_reviewers_note_and_changes_nothing(
    kb: KB, agent: User, other_team_agent: User
) -> None:
    proposal = propose(kb, other_team_agent)
    reject_proposal(proposal, by=agent, note="Déjà dans l'article sur l'historique")
    proposal.refresh_from_db()
    kb.invoice_fr.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert proposal.review_note == "Déjà dans l'article sur l'historique"
    assert "sur demande" not in kb.invoice_fr.body


def test_someone_else_than_the_owner_cannot_review_but_a_supervisor_can(
    client: Client, kb: KB, agent: User, other_team_agent: User, supervisor: User
) -> None:
    proposal = propose(kb, agent)
    client.force_login(other_team_agent)
    assert client.get(f"/fr/manage/insights/proposals/{proposal.pk}").status_code == 404
    client.force_login(supervisor)
    response = client.post(
        f"/fr/manage/insights/proposals/{proposal.pk}", {"decision": "accept", "note": ""}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED


def test_an_agent_proposes_an_edit_through_the_form(
    client: Client, kb: KB, other_team_agent: User, agent: User
) -> None:
    client.force_login(other_team_agent)
    url = f"/fr/manage/insights/articles/{kb.wifi_password.pk}/fr/propose"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": kb.wifi_password_fr.title,
            "body": "Le mot de passe est sous la box, sur l'étiquette.",
            "questions": "changer la clé wifi\nmot de passe wifi perdu",
            "note": "Demandé souvent",
        },
    )
    assert response.status_code == 302
    client.force_login(agent)
    listing = client.get("/fr/manage/insights/proposals/").content.decode()
    assert kb.wifi_password_fr.title in listing


def test_the_proposals_list_reads_a_fixed_number_of_queries(
    client: Client,
    kb: KB,
    agent: User,
    other_team_agent: User,
    django_assert_max_num_queries: Any,
) -> None:
    propose(kb, other_team_agent)
    client.force_login(agent)
    client.get("/fr/manage/insights/proposals/")  # warm the session and the permission caches
    with django_assert_max_num_queries(8) as one:
        client.get("/fr/manage/insights/proposals/")
    for translation in (kb.password_fr, kb.wifi_password_fr):
        propose_edit(
            translation,
            title=translation.title + " !",
            body=translation.body,
            questions=[],
            note="",
            by=other_team_agent,
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get("/fr/manage/insights/proposals/")
