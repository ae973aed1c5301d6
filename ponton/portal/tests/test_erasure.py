"""The customer erases her own account from the customer space, after confirming."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from ponton.accounts.models import User
from ponton.conftest import has_human_exit
from ponton.conversations.models import Attachment, Conversation, Message
from ponton.portal import services
from ponton.portal.tests.conftest import open_request, png

ERASE = "/fr/account/erase/"


def _claire_with_a_file(customer: User) -> Conversation:
    mine = open_request(customer, "Ma box ne s'allume plus, Claire Martin au 0612345678.")
    services.reply_to_request(
        mine, customer=customer, reply=services.Reply(text="Voici la photo", files=[png()])
    )
    return mine


def test_the_erasure_page_says_what_goes_and_what_stays_and_asks_to_confirm(
    client: Client, customer: User
) -> None:
    client.force_login(customer)
    home = client.get("/fr/account/").content.decode()
    assert f'href="{ERASE}"' in home

    page = client.get(ERASE)

    assert page.status_code == 200
    html = page.content.decode()
    assert "EFFACER" in html
    assert "Ce qui est effacé" in html
    assert "Ce que nous gardons, sans rien qui vous identifie" in html
    assert 'href="/fr/account/export/"' in html
    assert has_human_exit(html)
    english = client.get("/en/account/erase/").content.decode()
    assert "ERASE" in english and "What we keep" in english


def test_a_wrong_confirmation_erases_nothing(client: Client, customer: User) -> None:
    _claire_with_a_file(customer)
    client.force_login(customer)

    response = client.post(ERASE, {"confirmation": "oui"})

    assert response.status_code == 400
    assert "rien n\u2019a été effacé" in response.content.decode()
    customer.refresh_from_db()
    assert customer.is_active and customer.email
    assert Attachment.objects.count() == 1
    assert client.session.get("_auth_user_id") == str(customer.pk)


def test_confirming_erases_the_account_and_signs_the_customer_out(
    client: Client, customer: User, other_customer: User, attachments_dir: Path, password: str
) -> None:
    mine = _claire_with_a_file(customer)
    bertrands = open_request(other_customer, "Facture pro erronée.")
    stored = Path(Attachment.objects.get().file.path)
    assert stored.exists()
    client.force_login(customer)

    response = client.post(ERASE, {"confirmation": " effacer "})

    assert response.status_code == 302
    assert response["Location"] == "/fr/account/erased/"
    assert client.session.get("_auth_user_id") is None
    done = client.get(response["Location"])
    assert done.status_code == 200 and has_human_exit(done.content.decode())
    customer.refresh_from_db()
    assert customer.username == f"erased-{customer.pk}"
    assert not customer.is_active and customer.email == "" and customer.first_name == ""
    assert not stored.exists() and not Attachment.objects.exists()
    texts = " ".join(Message.objects.filter(conversation=mine).values_list("text", flat=True))
    assert "Claire" not in texts and "0612345678" not in texts
    # Pseudonymised, not deleted: the request still counts in the measures.
    assert Conversation.objects.filter(pk=mine.pk, customer=customer).exists()
    assert Message.objects.filter(conversation=bertrands, text="Facture pro erronée.").exists()
    # Signed out for good: the old session and the account no longer open the space.
    assert client.get("/fr/account/").status_code == 302
    client.post("/fr/accounts/login/", {"username": "claire", "password": password})
    assert client.session.get("_auth_user_id") is None


def test_only_a_signed_in_customer_reaches_the_erasure(
    client: Client, customer: User, agent: User
) -> None:
    response = client.post(ERASE, {"confirmation": "EFFACER"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(agent)
    assert client.post(ERASE, {"confirmation": "EFFACER"}).status_code in (403, 404)
    agent.refresh_from_db()
    assert agent.is_active and agent.username == "karim"
    customer.refresh_from_db()
    assert customer.is_active
