"""Signing in, brute-force lockout, password reset, API tokens."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ponton.accounts.models import ApiToken
from ponton.accounts.services import create_api_token, user_for_token
from ponton.conftest import has_human_exit

LOGIN = "/fr/accounts/login/"
RESET = "/fr/accounts/password-reset/"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_login_page_opens_and_offers_a_person(client: Client, db: None) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert has_human_exit(response.content.decode())


def test_a_customer_signs_in_with_the_right_password(
    client: Client, customer, password: str
) -> None:
    response = client.post(LOGIN, {"username": "claire", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/fr/"
    assert client.session["_auth_user_id"] == str(customer.pk)


def test_signing_in_goes_back_to_the_page_asked_for(client: Client, agent, password: str) -> None:
    response = client.post(
        LOGIN, {"username": "karim", "password": password, "next": "/fr/manage/articles/"}
    )
    assert response["Location"] == "/fr/manage/articles/"


def test_signing_in_never_redirects_to_another_site(
    client: Client, customer, password: str
) -> None:
    response = client.post(
        LOGIN, {"username": "claire", "password": password, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_a_wrong_password_is_refused_with_a_message(client: Client, customer) -> None:
    response = client.post(LOGIN, {"username": "claire", "password": "wrong"})
    assert response.status_code == 200
    assert not signed_in(client)
    assert response.context["form"].non_field_errors()


def test_after_five_wrong_passwords_even_the_right_one_is_refused(
    client: Client, customer, password: str
) -> None:
    for _ in range(5):
        client.post(LOGIN, {"username": "claire", "password": "wrong-guess"})
    response = client.post(LOGIN, {"username": "claire", "password": password})
    assert not signed_in(client)
    assert response.status_code == 429
    html = response.content.decode()
    assert has_human_exit(html)  # a locked-out customer can still reach a person
    assert "/fr/accounts/password-reset/" in html


def test_the_lockout_is_per_account(
    client: Client, customer, other_customer, password: str
) -> None:
    for _ in range(5):
        client.post(LOGIN, {"username": "claire", "password": "wrong-guess"})
    client.post(LOGIN, {"username": "bertrand", "password": password})
    assert client.session["_auth_user_id"] == str(other_customer.pk)


def test_four_wrong_passwords_do_not_lock_the_account(
    client: Client, customer, password: str
) -> None:
    for _ in range(4):
        client.post(LOGIN, {"username": "claire", "password": "wrong-guess"})
    client.post(LOGIN, {"username": "claire", "password": password})
    assert signed_in(client)


def test_signing_out_needs_a_post(client: Client, customer) -> None:
    client.force_login(customer)
    assert client.get("/fr/accounts/logout/").status_code == 405
    assert signed_in(client)
    response = client.post("/fr/accounts/logout/")
    assert response.status_code == 302
    assert not signed_in(client)


def test_a_password_reset_sends_an_email_with_a_working_link(
    client: Client, customer, mailoutbox
) -> None:
    response = client.post(RESET, {"email": customer.email})
    assert response.status_code == 302
    assert response["Location"] == "/fr/accounts/password-reset/sent/"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [customer.email]
    link = re.search(r"https?://[^/\s]+(/fr/accounts/reset/[^\s]+)", email.body)
    assert link is not None

    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert form.context["validlink"]
    new_password = "Une-nouvelle-phrase-de-passe-2030"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(new_password)


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: Client, customer, mailoutbox
) -> None:
    response = client.post(RESET, {"email": "nobody@example.net"})
    assert response.status_code == 302
    assert response["Location"] == "/fr/accounts/password-reset/sent/"
    assert mailoutbox == []


def test_an_invalid_reset_link_says_it_no_longer_works(client: Client, customer) -> None:
    response = client.get("/fr/accounts/reset/MQ/not-a-token/")
    assert response.status_code == 200
    assert not response.context["validlink"]


def test_only_admins_reach_the_django_admin(client: Client, customer, agent, admin) -> None:
    for outsider in (customer, agent):
        client.force_login(outsider)
        response = client.get("/admin/")
        assert response.status_code == 302, outsider
        assert response["Location"].startswith("/admin/login/")
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


# API tokens ---------------------------------------------------------------------------


def test_an_api_token_is_stored_only_hashed(agent) -> None:
    raw = create_api_token(agent, name="CRM")
    token = ApiToken.objects.get()
    assert raw.startswith("pt_")
    assert raw not in (token.key_hash, token.prefix)
    assert raw.startswith(token.prefix)
    assert user_for_token(raw) == agent
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert user_for_token(raw + "x") is None


def test_the_create_api_token_command_prints_a_working_token(
    agent, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("create_api_token", "karim")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert user_for_token(raw) == agent


def test_the_create_api_token_command_refuses_customers_and_unknown_users(customer) -> None:
    with pytest.raises(CommandError):
        call_command("create_api_token", "claire")
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody")
    assert not ApiToken.objects.exists()
