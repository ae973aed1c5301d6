"""Single sign-on for staff through OpenID Connect, against a provider served here on
a local port (token endpoint, JWKS, userinfo) as a real one answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ponton.accounts.models import Role, User
from ponton.accounts.oidc import BACKEND
from ponton.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
CLIENT_ID = "ponton-care"
SECRET = "provider-shared-secret"


@dataclass
class Provider:
    """What the provider will say about the next person who signs in."""

    url: str = ""
    claims: dict[str, Any] = field(default_factory=dict)
    nonce: str = ""
    audience: str = CLIENT_ID
    code: str = "code-4711"
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def id_token(self) -> str:
        now = int(NOON.timestamp())
        payload = {
            "iss": self.url,
            "sub": "subject-1",
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            provider.token_requests.append(form)
            right = (
                form.get("code") == [provider.code]
                and form.get("client_id") == [CLIENT_ID]
                and form.get("client_secret") == [SECRET]
            )
            if self.path != "/token" or not right:
                self._json(400, {"error": "invalid_grant"})
                return
            self._json(
                200,
                {"access_token": "at-1", "token_type": "Bearer", "id_token": provider.id_token()},
            )

        def do_GET(self) -> None:
            if self.path == "/jwks":
                self._json(200, provider.jwks())
            elif self.path == "/userinfo" and self.headers["Authorization"] == "Bearer at-1":
                self._json(200, provider.claims)
            else:
                self._json(401, {"error": "invalid_token"})

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PONTON_OIDC_ENABLED = True
    settings.PONTON_OIDC_PROVIDER_NAME = "Okta Hirondelle"
    settings.PONTON_OIDC_ISSUER = state.url
    settings.PONTON_OIDC_CREATE_AGENTS = False
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = state.url + "/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = state.url + "/token"
    settings.OIDC_OP_USER_ENDPOINT = state.url + "/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = state.url + "/jwks"
    try:
        with time_machine.travel(NOON, tick=False):
            yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _sign_in_through(provider: Provider, claims: dict[str, Any], *, next: str = "") -> Any:
    """The browser's round trip: to the provider, the person signs in there, and back."""
    client = Client()
    start = client.get("/oidc/start/", {"next": next} if next else {})
    assert start.status_code == 302
    location = urlsplit(start["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == provider.url + "/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    provider.nonce = query["nonce"][0]
    provider.claims = claims
    back = client.get("/oidc/callback/", {"code": provider.code, "state": query["state"][0]})
    return client, back


def test_the_button_shows_only_when_single_sign_on_is_set_up(
    provider: Provider, settings: Any
) -> None:
    page = Client().get("/en/accounts/login/").content.decode()
    assert "Sign in with Okta Hirondelle" in page
    settings.PONTON_OIDC_ENABLED = False
    assert b"data-sso" not in Client().get("/fr/accounts/login/").content
    assert Client().get("/oidc/start/").status_code == 404


def test_an_agent_signs_in_with_the_provider_by_email(provider: Provider, agent: User) -> None:
    client, back = _sign_in_through(
        provider, {"sub": "s1", "email": "KARIM@example.net", "email_verified": True}
    )
    assert back.status_code == 302
    assert back["Location"] == "/fr/agent/"
    assert client.get("/fr/agent/").status_code == 200
    entry = AuditEntry.objects.get(action=Action.SIGN_IN)
    assert (entry.actor, entry.details) == (agent, {"method": "oidc"})
    assert provider.token_requests[0]["redirect_uri"] == ["http://testserver/oidc/callback/"]


def test_the_page_asked_for_is_where_the_agent_lands(provider: Provider, agent: User) -> None:
    _, back = _sign_in_through(provider, {"email": "karim@example.net"}, next="/fr/agent/search")
    assert back["Location"] == "/fr/agent/search"


def test_a_customers_email_never_signs_in_nor_becomes_an_agent(
    provider: Provider, customer: User, settings: Any
) -> None:
    settings.PONTON_OIDC_CREATE_AGENTS = True
    client, back = _sign_in_through(provider, {"email": "claire@example.net"})
    assert back["Location"] == "/fr/accounts/login/"
    assert client.get("/fr/account/").status_code == 302  # not signed in
    assert User.objects.filter(email__iexact="claire@example.net").count() == 1
    assert User.objects.get(email="claire@example.net").role == Role.CUSTOMER


def test_an_unknown_email_is_refused_unless_agents_may_be_created(
    provider: Provider, settings: Any
) -> None:
    claims = {"email": "nina.roux@hirondelle.example", "given_name": "Nina", "family_name": "Roux"}
    _, back = _sign_in_through(provider, claims)
    assert back["Location"] == "/fr/accounts/login/"
    assert not User.objects.filter(email=claims["email"]).exists()
    settings.PONTON_OIDC_CREATE_AGENTS = True
    client, back = _sign_in_through(provider, {**claims, "role": "admin", "groups": ["admin"]})
    assert client.get("/fr/agent/").status_code == 200
    assert back["Location"] == "/fr/agent/"
    nina = User.objects.get(email=claims["email"])
    assert (nina.role, nina.is_staff, nina.is_superuser) == (Role.AGENT, False, False)
    assert (nina.first_name, nina.has_usable_password()) == ("Nina", False)


def test_an_unverified_email_is_refused(provider: Provider, agent: User) -> None:
    client, back = _sign_in_through(
        provider, {"email": "karim@example.net", "email_verified": False}
    )
    assert back["Location"] == "/fr/accounts/login/"
    assert client.get("/fr/agent/").status_code == 302


def test_a_token_made_for_another_client_is_refused(provider: Provider, agent: User) -> None:
    provider.audience = "someone-else"
    client, back = _sign_in_through(provider, {"email": "karim@example.net"})
    assert back["Location"] == "/fr/accounts/login/"
    assert client.get("/fr/agent/").status_code == 302


def test_staff_with_an_authenticator_still_give_its_code(provider: Provider, agent: User) -> None:
    TOTPDevice.objects.create(user=agent, name="authenticator", confirmed=True)
    client, back = _sign_in_through(provider, {"email": "karim@example.net"})
    assert back["Location"] == "/fr/accounts/login/code/"
    assert client.get("/fr/agent/").status_code == 302
