"""The attacks that found the holes in signing in and revocation, replayed.

Each test is written as the attack: it failed before the fix and passes after.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import ApiToken, Role, Team, User
from ponton.accounts.services import create_api_token, user_for_token
from ponton.conversations.tests.test_realtime import run, socket

LOGIN = "/fr/accounts/login/"
RESET = "/fr/accounts/password-reset/"
ATTACKER = "203.0.113.66"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# Brute force ----------------------------------------------------------------------------


def test_thirty_guesses_each_with_a_new_forwarded_for_do_not_unlock_the_account(
    client: Client, customer: User, password: str
) -> None:
    for n in range(30):
        client.post(
            LOGIN,
            {"username": "claire", "password": f"guess-{n}"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        LOGIN,
        {"username": "claire", "password": password},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_account_locks_whatever_the_real_address(
    client: Client, customer: User, password: str
) -> None:
    for n in range(5):
        client.post(LOGIN, {"username": "claire", "password": "guess"}, REMOTE_ADDR=f"192.0.2.{n}")
    client.post(LOGIN, {"username": "claire", "password": password}, REMOTE_ADDR="192.0.2.99")
    assert not signed_in(client)


def test_the_owner_of_a_locked_account_gets_back_in_through_the_emailed_link(
    client: Client, customer: User, mailoutbox: Any
) -> None:
    for _ in range(5):
        client.post(LOGIN, {"username": "claire", "password": "guess"})
    client.post(RESET, {"email": customer.email})
    link = re.search(r"https?://[^/\s]+(/fr/accounts/reset/\S+)", mailoutbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    new = "Une-autre-phrase-de-passe-2031"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    browser = Client()
    browser.post(LOGIN, {"username": "claire", "password": new})
    assert signed_in(browser)


def test_one_address_spraying_many_accounts_is_paused(
    client: Client, customer: User, other_customer: User, password: str, settings: Any
) -> None:
    settings.PONTON_SIGNIN_FAILURES_PER_ADDRESS = 6
    for n in range(6):
        client.post(LOGIN, {"username": f"user{n}", "password": "Printemps2026"})
    response = client.post(LOGIN, {"username": "bertrand", "password": password})
    assert response.status_code == 429
    assert not signed_in(client)
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    elsewhere.post(LOGIN, {"username": "bertrand", "password": password})
    assert signed_in(elsewhere)


def test_behind_a_trusted_proxy_the_address_it_appends_is_the_one_counted(
    client: Client, customer: User, other_customer: User, password: str, settings: Any
) -> None:
    """The proxy (127.0.0.1, trusted) appends the real address after the forged ones."""
    settings.PONTON_SIGNIN_FAILURES_PER_ADDRESS = 6
    for n in range(6):
        client.post(
            LOGIN,
            {"username": f"user{n}", "password": "Printemps2026"},
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, {ATTACKER}",
        )
    response = client.post(
        LOGIN,
        {"username": "bertrand", "password": password},
        HTTP_X_FORWARDED_FOR=f"10.9.9.77, {ATTACKER}",
    )
    assert response.status_code == 429


def test_the_anonymous_api_throttle_is_not_reset_by_a_forged_forwarded_for(
    client: Client, db: None, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "3/minute",
        },
    }
    codes = [
        client.get(
            "/api/v1/articles?q=box", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, {ATTACKER}"
        ).status_code
        for n in range(5)
    ]
    assert codes[-1] == 429


def test_the_magic_link_limit_is_not_reset_by_a_forged_forwarded_for(
    client: Client, db: None
) -> None:
    codes = [
        client.post(
            "/fr/account/sign-in-link/",
            {"email": f"person{n}@example.net"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(22)
    ]
    assert codes[-1] == 429


# Password reset -------------------------------------------------------------------------


def test_a_reset_link_is_built_from_the_site_url_not_the_host_header(
    client: Client, customer: User, mailoutbox: Any, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://care.example.com"
    client.post(RESET, {"email": customer.email}, HTTP_HOST="evil.example")
    assert "https://care.example.com/fr/accounts/reset/" in mailoutbox[0].body
    assert "evil.example" not in mailoutbox[0].body


def test_a_reset_link_dies_within_a_day(client: Client, customer: User, mailoutbox: Any) -> None:
    client.post(RESET, {"email": customer.email})
    path = re.search(r"https?://[^/\s]+(/fr/accounts/reset/\S+)", mailoutbox[0].body)
    assert path is not None
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        form = client.get(path.group(1), follow=True)
    assert not form.context["validlink"]


def test_reset_emails_to_one_address_are_limited(
    client: Client, customer: User, mailoutbox: Any
) -> None:
    for _ in range(10):
        client.post(RESET, {"email": customer.email})
    assert len(mailoutbox) == 3


# API tokens -----------------------------------------------------------------------------


def test_a_token_stops_working_when_its_owner_changes_password(agent: User) -> None:
    raw = create_api_token(agent)
    agent.set_password("Un-tout-nouveau-secret-2031")
    agent.save()
    assert user_for_token(raw) is None


def test_a_token_expires(agent: User) -> None:
    raw = create_api_token(agent, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert user_for_token(raw) is None
    assert user_for_token(raw) == agent


def test_a_read_only_token_cannot_write(client: Client, agent: User) -> None:
    raw = create_api_token(agent, scopes=["read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/conversations", **auth).status_code == 200
    response = client.post(
        "/api/v1/conversations/1/messages", {"text": "x"}, content_type="application/json", **auth
    )
    assert response.status_code == 403


def test_the_revoke_command_ends_a_token(agent: User, capsys: Any) -> None:
    raw = create_api_token(agent, name="CRM")
    call_command("revoke_api_token", raw[:10])
    assert capsys.readouterr().out.strip().splitlines()[-1] == '{"revoked": 1}'
    assert user_for_token(raw) is None
    assert ApiToken.objects.get().revoked_at is not None


def test_an_admin_revokes_a_token_from_the_admin(client: Client, agent: User, admin: User) -> None:
    raw = create_api_token(agent)
    client.force_login(admin)
    token = ApiToken.objects.get()
    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert user_for_token(raw) is None


# Sockets and sessions -------------------------------------------------------------------


def _browser(user: User) -> tuple[Client, str]:
    browser = Client()
    browser.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    return browser, cookie


def _closed_after(cookie: str, change: Any) -> int | None:
    async def scenario() -> int | None:
        inbox = socket("/ws/inbox/", cookie=cookie)
        connected, _ = await inbox.connect()
        assert connected
        await sync_to_async(change)()
        output = await inbox.receive_output(5)
        return output.get("code") if output["type"] == "websocket.close" else None

    return run(scenario)


@pytest.mark.django_db(transaction=True)
def test_logging_out_closes_the_open_inbox_socket(agent: User) -> None:
    browser, cookie = _browser(agent)
    assert _closed_after(cookie, lambda: browser.post("/fr/accounts/logout/")) == 4401


@pytest.mark.django_db(transaction=True)
def test_a_new_password_closes_sockets_and_ends_other_sessions(agent: User) -> None:
    browser, cookie = _browser(agent)

    def change() -> None:
        agent.set_password("Un-tout-nouveau-secret-2031")
        agent.save()

    assert _closed_after(cookie, change) == 4401
    assert browser.get("/fr/agent/").status_code == 302  # back to the sign-in page


@pytest.mark.django_db(transaction=True)
def test_deactivation_closes_sockets_and_ends_sessions(agent: User) -> None:
    browser, cookie = _browser(agent)

    def deactivate() -> None:
        agent.is_active = False
        agent.save()

    assert _closed_after(cookie, deactivate) == 4401
    assert browser.get("/fr/agent/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_removal_from_a_team_closes_the_inbox_socket(agent: User) -> None:
    _, cookie = _browser(agent)
    team = Team.objects.get(slug="front")
    assert _closed_after(cookie, lambda: agent.teams.remove(team)) == 4401


@pytest.mark.django_db(transaction=True)
def test_a_role_change_closes_the_inbox_socket(agent: User) -> None:
    """The socket was opened with an agent's rights: it is reopened with the new ones."""
    _, cookie = _browser(agent)

    def promote() -> None:
        agent.role = Role.SUPERVISOR
        agent.save(update_fields=["role"])

    assert _closed_after(cookie, promote) == 4401
