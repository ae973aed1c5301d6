"""Surveys answered through a signed link: CSAT with effort after a resolution,
NPS now and then; every answer goes to the journey log."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.conftest import KB, has_human_exit
from ponton.conversations import surveys
from ponton.conversations.lifecycle import reply_as_agent, set_status
from ponton.conversations.models import Conversation, Survey, SurveyKind
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.portal.tests.conftest import open_request
from ponton.tasks.services import run_due

CHAT = "/api/v1/chat/conversations"


def answers() -> list[dict[str, Any]]:
    return [e.data for e in JourneyEvent.objects.filter(kind=EventKind.SURVEY_ANSWER)]


def survey_link(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/(fr|en)/survey/[^\s]+)", body)
    assert found is not None, body
    return found.group(1)


@pytest.fixture
def solved_by_karim(
    customer: User, agent: User, django_capture_on_commit_callbacks: Any
) -> Conversation:
    conversation = open_request(customer)
    reply_as_agent(conversation, agent=agent, text="C'est réparé de notre côté.")
    with django_capture_on_commit_callbacks(execute=True):  # the survey task is queued on commit
        set_status(conversation, status="solved", by=agent)
    return conversation


# CSAT after a person ---------------------------------------------------------------------


def test_a_solved_request_emails_a_link_that_rates_it_without_signing_in(
    client: Client, customer: User, solved_by_karim: Conversation, mailoutbox: Any
) -> None:
    run_due()  # the worker sends the survey

    [email] = [m for m in mailoutbox if "Comment s'est passée" in m.subject]
    assert email.to == [customer.email]
    link = survey_link(email.body)
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="radio" name="score" value="5"' in html
    assert 'type="radio" name="effort" value="7"' in html
    assert has_human_exit(html)

    done = client.post(link, {"score": "4", "effort": "6", "comment": "Rapide, merci."})

    assert done.status_code == 302
    assert client.get(done["Location"]).status_code == 200
    survey = Survey.objects.get(conversation=solved_by_karim)
    assert (survey.score, survey.effort, survey.comment) == (4, 6, "Rapide, merci.")
    base = {"conversation": solved_by_karim.pk, "resolved_by": "person"}
    assert answers() == [
        {**base, "survey": "csat", "score": 4, "comment": "Rapide, merci."},
        {**base, "survey": "ces", "score": 6},
    ]
    event = JourneyEvent.objects.filter(kind=EventKind.SURVEY_ANSWER).first()
    assert event is not None
    assert event.customer == customer


def test_a_survey_answered_twice_keeps_the_first_answer(
    client: Client, solved_by_karim: Conversation
) -> None:
    link = surveys.survey_path(surveys.csat_for(solved_by_karim))
    client.post(link, {"score": "5"})

    again = client.post(link, {"score": "1", "comment": "En fait non"})

    assert again.status_code == 409
    assert "a déjà reçu une réponse" in again.content.decode()
    survey = Survey.objects.get()
    assert (survey.score, survey.comment) == (5, "")
    assert len(answers()) == 1
    assert client.get(link).status_code == 200  # the link still opens, on the thank-you


def test_a_score_outside_the_scale_is_refused_with_a_message(
    client: Client, solved_by_karim: Conversation
) -> None:
    link = surveys.survey_path(surveys.csat_for(solved_by_karim))
    for form in ({"score": "6"}, {"score": ""}, {"score": "4", "effort": "9"}):
        response = client.post(link, form)
        assert response.status_code == 400, form
    assert "Choisissez une note de 1 à 5." in client.post(link, {"comment": ""}).content.decode()
    assert not answers()


def test_a_poor_score_offers_a_person_at_once(
    client: Client, solved_by_karim: Conversation
) -> None:
    link = surveys.survey_path(surveys.csat_for(solved_by_karim))
    thanks = client.post(link, {"score": "1"}, follow=True)
    assert "une personne peut le reprendre" in thanks.content.decode()


def test_a_forged_or_expired_link_is_the_friendly_not_found_page(
    client: Client, solved_by_karim: Conversation
) -> None:
    survey = surveys.csat_for(solved_by_karim)

    class LastMonth(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - surveys.LINK_MAX_AGE - 60)

    expired = LastMonth(salt=surveys.SALT).sign_object(survey.pk, compress=True)
    forged = signing.dumps(survey.pk, salt="another.salt", compress=True)
    for token in (expired, forged, "nothing-here"):
        response = client.get(f"/fr/survey/{token}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "Cette page n&#x27;existe pas" in html or "existe pas" in html
        assert has_human_exit(html)


# CSAT after selfcare, from the chat ---------------------------------------------------------


def test_a_selfcare_resolution_in_the_chat_offers_a_rating_link(client: Client, kb: KB) -> None:
    chat = client.post(
        CHAT,
        {"text": "j'ai oublié mon mot de passe", "lang": "fr"},
        content_type="application/json",
    ).json()
    headers = {"HTTP_X_CONVERSATION_TOKEN": chat["token"]}

    resolved = client.post(
        f"{CHAT}/{chat['id']}/messages", {"action": "resolved"}, content_type="application/json",
        **headers,
    ).json()  # fmt: skip

    assert resolved["state"] == "closed"
    [rate] = [a for a in resolved["messages"][-1]["actions"] if a["id"] == "rate"]
    assert rate["label"] == "Noter cette aide"
    assert rate["url"].startswith("/fr/survey/")
    assert any(a["id"] == "human" for a in resolved["messages"][-1]["actions"])
    # A link is opened, never sent back as a choice.
    refused = client.post(
        f"{CHAT}/{chat['id']}/messages", {"action": "rate"}, content_type="application/json",
        **headers,
    )  # fmt: skip
    assert refused.status_code == 400

    client.post(rate["url"], {"score": "5", "effort": "7"})

    assert answers()[0] == {
        "conversation": chat["id"],
        "resolved_by": "selfcare",
        "survey": "csat",
        "score": 5,
        "comment": "",
    }


# NPS --------------------------------------------------------------------------------------


def test_an_nps_survey_asks_zero_to_ten_and_records_the_answer(
    client: Client, customer: User
) -> None:
    survey = Survey.objects.create(
        kind=SurveyKind.NPS, customer=customer, email=customer.email, language="fr"
    )
    link = surveys.survey_path(survey)
    html = client.get(link).content.decode()
    assert 'name="score" value="0"' in html
    assert 'name="score" value="10"' in html
    assert 'name="effort"' not in html

    client.post(link, {"score": "9", "comment": "Conseillers au top"})

    assert answers() == [
        {
            "conversation": None,
            "resolved_by": "",
            "survey": "nps",
            "score": 9,
            "comment": "Conseillers au top",
        }
    ]


def _age(conversation: Conversation, days: int) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_send_nps_asks_recent_customers_once_a_quarter(
    customer: User, other_customer: User, capsys: Any
) -> None:
    open_request(customer)  # Claire wrote this week
    _age(open_request(other_customer), 120)  # Bertrand's only request is old

    call_command("send_nps")
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"asked": 1}
    run_due()

    [nps] = Survey.objects.filter(kind=SurveyKind.NPS)
    assert nps.customer == customer
    [email] = mail.outbox
    assert email.to == [customer.email]
    assert email.subject == "Nous recommanderiez-vous ?"
    assert Client().get(survey_link(email.body)).status_code == 200

    call_command("send_nps")  # idempotent: nobody is asked twice
    run_due()
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"asked": 0}
    assert Survey.objects.filter(kind=SurveyKind.NPS).count() == 1
    assert len(mail.outbox) == 1


def test_send_nps_asks_again_after_ninety_days(customer: User) -> None:
    open_request(customer)
    old = Survey.objects.create(kind=SurveyKind.NPS, customer=customer, email=customer.email)
    Survey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))

    assert surveys.send_nps_surveys() == 1
    assert surveys.send_nps_surveys() == 0


def test_workers_run_the_nps_round_every_day(customer: User) -> None:
    from ponton.tasks.models import Task
    from ponton.tasks.services import schedule_periodic

    open_request(customer)
    schedule_periodic()
    run_due()  # the round: one survey, its email queued
    run_due()  # the email
    [last_round] = Task.objects.filter(name="conversations.send_nps")
    schedule_periodic()
    [_, next_round] = Task.objects.filter(name="conversations.send_nps").order_by("id")
    assert next_round.run_after >= last_round.run_after + timedelta(days=1)
    assert Survey.objects.filter(kind=SurveyKind.NPS, customer=customer).count() == 1
    assert len(mail.outbox) == 1


# The customer space lists surveys ---------------------------------------------------------------


def test_the_customer_space_lists_surveys_still_to_answer(
    client: Client, customer: User, solved_by_karim: Conversation
) -> None:
    survey = surveys.csat_for(solved_by_karim)
    client.force_login(customer)

    home = client.get("/fr/account/")
    assert [s.pk for s in home.context["surveys"]] == [survey.pk]
    go = client.get(f"/fr/account/surveys/{survey.pk}/")
    assert go.status_code == 302
    assert go["Location"] == surveys.survey_path(survey)

    client.post(go["Location"], {"score": "5"})
    assert list(client.get("/fr/account/").context["surveys"]) == []


def test_customer_cannot_open_another_customers_survey_by_its_number(
    client: Client, other_customer: User, solved_by_karim: Conversation
) -> None:
    survey = surveys.csat_for(solved_by_karim)
    client.force_login(other_customer)
    assert client.get(f"/fr/account/surveys/{survey.pk}/").status_code == 404
    assert client.get("/fr/account/surveys/999999/").status_code == 404
    assert list(client.get("/fr/account/").context["surveys"]) == []
