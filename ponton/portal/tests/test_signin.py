"""Signing in with a one-time link sent by email."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core import mail
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.conftest import has_human_exit
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event
from ponton.portal.signin import LINKS_PER_ADDRESS, REQUESTS_PER_IP, magic_link_path
from ponton.tasks.services import run_due

ASK = "/fr/account/sign-in-link/"
SENT = "/fr/account/sign-in-link/sent/"


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def ask_and_send(client: Client, email: str, **extra: str) -> Any:
    response = client.post(ASK, {"email": email, **extra})
    run_due()  # the worker sends the email
    return response


def link_in(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/fr/account/sign-in-link/[^\s]+)", body)
    assert found is not None, body
    return found.group(1)


def test_the_sign_in_page_offers_a_link_by_email(client: Client, db: None) -> None:
    html = client.get("/fr/accounts/login/").content.decode()
    assert 'href="/fr/account/sign-in-link/"' in html


def test_a_customer_asks_for_a_link_and_signs_in_with_it(client: Client, customer: User) -> None:
    response = ask_and_send(client, "CLAIRE@example.net")

    assert response.status_code == 302
    assert response["Location"] == SENT
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.email]
    assert email.subject == "Votre lien de connexion"
    path = link_in(email.body)

    landing = client.get(path)
    assert landing.status_code == 200
    assert signed_in_as(client) is None  # opening the link (a mail scanner) does not sign in

    done = client.post(path)
    assert done.status_code == 302
    assert done["Location"] == "/fr/account/"
    assert signed_in_as(client) == str(customer.pk)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: Client, customer: User, agent: User
) -> None:
    pages = []
    for email in ("claire@example.net", "nobody@example.net", agent.email):
        response = ask_and_send(Client(), email)
        assert response.status_code == 302
        assert response["Location"] == SENT
        pages.append(response)
    # Only the customer gets a link: unknown addresses and staff accounts get nothing.
    assert [m.to for m in mail.outbox] == [[customer.email]]

    client.post(ASK, {"email": "nobody@example.net"})
    html = client.get(SENT).content.decode()
    assert "Si un compte client utilise nobody@example.net" in html
    assert has_human_exit(html)


def test_a_link_works_only_once(client: Client, customer: User) -> None:
    ask_and_send(client, customer.email)
    path = link_in(mail.outbox[0].body)
    client.post(path)
    client.logout()

    again = client.post(path)

    assert again.status_code == 400
    assert signed_in_as(client) is None
    assert "Ce lien ne fonctionne plus" in again.content.decode()


def test_a_link_expires(client: Client, settings: Any, customer: User) -> None:
    settings.PONTON_MAGIC_LINK_MINUTES = 15
    old = magic_link_path(customer, now=timezone.now() - timedelta(minutes=16))
    fresh = magic_link_path(customer, now=timezone.now() - timedelta(minutes=14))

    assert client.post(old).status_code == 400
    assert signed_in_as(client) is None
    assert client.post(fresh).status_code == 302
    assert signed_in_as(client) == str(customer.pk)


def test_a_forged_or_someone_elses_link_does_not_sign_in(
    client: Client, customer: User, other_customer: User
) -> None:
    claires = magic_link_path(customer)
    uid, token = claires.rstrip("/").split("/")[-2:]
    bertrands_uid = magic_link_path(other_customer).rstrip("/").split("/")[-2]

    for path in (
        f"{ASK}{bertrands_uid}/{token}/",
        f"{ASK}{uid}/{token[:-2]}xx/",
        f"{ASK}not-base64/{token}/",
    ):
        assert client.post(path).status_code == 400, path
    assert signed_in_as(client) is None


def test_signing_in_with_a_link_joins_the_anonymous_journey_of_a_consenting_visitor(
    client: Client, customer: User
) -> None:
    client.cookies["ponton_consent"] = "accepted"
    client.get("/fr/")
    visitor = client.cookies["ponton_visitor"].value
    record_event(EventKind.SEARCH, visitor_id=visitor, data={"query": "box en panne"})

    client.post(magic_link_path(customer))

    search = JourneyEvent.objects.get(kind=EventKind.SEARCH)
    assert search.customer == customer


def test_signing_in_with_a_link_without_consent_leaves_the_visit_anonymous(
    client: Client, customer: User
) -> None:
    client.get("/fr/")
    assert "ponton_visitor" not in client.cookies
    visit = client.cookies["ponton_visit"].value
    record_event(EventKind.SEARCH, visitor_id=visit, data={"query": "box en panne"})

    client.post(magic_link_path(customer))

    assert signed_in_as(client) == str(customer.pk)
    assert JourneyEvent.objects.get(kind=EventKind.SEARCH).customer is None


def test_the_link_goes_back_to_the_page_asked_for_and_never_to_another_site(
    client: Client, customer: User
) -> None:
    ask_and_send(client, customer.email, next="/fr/account/preferences/")
    path = link_in(mail.outbox[0].body)
    assert client.post(path)["Location"] == "/fr/account/preferences/"

    client.logout()
    customer.refresh_from_db()  # a new link, for the customer as signing in left her
    evil = client.post(magic_link_path(customer) + "?next=https://evil.example/")
    assert evil["Location"] == "/fr/account/"


def test_links_to_one_address_are_throttled_silently(client: Client, customer: User) -> None:
    for _ in range(LINKS_PER_ADDRESS + 2):
        assert ask_and_send(client, customer.email)["Location"] == SENT
    assert len(mail.outbox) <= LINKS_PER_ADDRESS


def test_too_many_requests_from_one_network_address_are_refused(client: Client, db: None) -> None:
    for n in range(REQUESTS_PER_IP):
        assert client.post(ASK, {"email": f"x{n}@example.net"}).status_code == 302
    refused = client.post(ASK, {"email": "y@example.net"})
    assert refused.status_code == 429
    assert has_human_exit(refused.content.decode())


def test_an_invalid_address_is_refused_with_a_message(client: Client, db: None) -> None:
    response = client.post(ASK, {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
