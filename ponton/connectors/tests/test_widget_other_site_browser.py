"""The widget on the company's own site, in a real Chromium: a page served from another
origin, under a strict Content-Security-Policy that names Ponton for scripts and calls only,
embeds it with one tag and it comes styled; the signed-in customer's signed id links the chat
to them and the agent reads the page in the packet.

Skipped when Debian's Chromium is not installed, unless PONTON_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conftest import DESKTOP, KB
from ponton.connectors.webchat.services import identity_digest
from ponton.conversations.models import Conversation, State

pytestmark = pytest.mark.browser

SECRET = "the-shops-widget-secret"
HOST_ADDRESS = "127.0.0.2"
# The host site's own stylesheet, as aggressive as a real one can be: nothing of it may
# reach into the widget.
HOST_CSS = """
* { color: rgb(0, 128, 0) !important; font-family: serif !important; }
button { background: rgb(255, 0, 0) !important; border: 5px solid black !important; }
.pw-title { font-size: 40px; }
"""


@dataclass
class HostSite:
    """A second HTTP server on another port: another origin, the company's web app."""

    origin: str
    pages: dict[str, str]


def _host_page(ponton: str, *, customer_id: str, customer_hash: str) -> str:
    attrs = {
        "src": f"{ponton}/static/ponton/widget.js",
        "data-ponton-url": ponton,
        "data-lang": "fr",
        "data-customer-id": customer_id,
        "data-customer-hash": customer_hash,
        "data-module": "box",
        "data-context-screen": "wifi-settings",
    }
    tag = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Mon compte</title>'
        '<link rel="stylesheet" href="/host.css"></head><body>'
        '<h1 class="pw-title">Réglages de la box</h1>'
        f"<script {tag} async></script></body></html>"
    )


@pytest.fixture
def host_site(asgi_server: str, settings: Any) -> Iterator[HostSite]:
    pages: dict[str, str] = {"/host.css": HOST_CSS}
    ponton = asgi_server
    ws = ponton.replace("http://", "ws://")
    # No inline script or style, no eval, nothing but this site and Ponton, and Ponton only
    # for its script and its calls: the widget's styles come inside the script.
    policy = (
        f"default-src 'none'; script-src {ponton}; style-src 'self'; "
        f"connect-src {ponton} {ws}; img-src 'self'; base-uri 'none'; form-action 'none'"
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            body = pages.get(path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            kind = "text/css" if path.endswith(".css") else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    # Another loopback address too: the websocket's same-site check admits any port of an
    # allowed host (127.0.0.1), and this site must be admitted as a listed origin only.
    server = ThreadingHTTPServer((HOST_ADDRESS, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://{HOST_ADDRESS}:{server.server_address[1]}"
    assert urlsplit(origin).netloc != urlsplit(ponton).netloc
    settings.PONTON_WIDGET_ORIGINS = [origin]
    settings.PONTON_WIDGET_IDENTITY_SECRET = SECRET
    try:
        yield HostSite(origin=origin, pages=pages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _visit(browser: Any, url: str) -> tuple[Any, Any, list[str], list[str]]:
    """A fresh browser on the host page: the page, its context, CSP complaints, requests
    (websocket frames received are added to the requests as `frame:TEXT`)."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    complaints: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: complaints.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("request", lambda r: requests.append(r.url))
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: requests.append(f"frame:{payload}")),
    )
    page.goto(url)
    return context, page, complaints, requests


def _ask_for_a_person(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Besoin d'aide ?").click()
    panel = page.locator("#pw-panel")
    expect(panel).to_be_visible()
    panel.locator("#pw-input").fill("Le wifi coupe sans arrêt, je veux parler à un conseiller")
    panel.locator("#pw-input").press("Enter")
    expect(panel.locator(".pw-status")).to_contain_text("Un conseiller va vous répondre ici.")
    # The way to a person stays in the header at every turn.
    expect(panel.locator(".pw-head [data-human-exit]")).to_be_visible()


def test_a_customer_signed_in_on_the_companys_site_reaches_an_agent_who_sees_who_and_where(
    browser: Any,
    asgi_server: str,
    host_site: HostSite,
    kb: KB,
    customer: User,
    agent: User,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    number = customer.profile.customer_number
    host_site.pages["/app/box"] = _host_page(
        asgi_server, customer_id=number, customer_hash=identity_digest(number, SECRET)
    )
    context, page, complaints, requests = _visit(browser, f"{host_site.origin}/app/box")
    try:
        launcher = page.locator(".pw-launcher")
        expect(launcher).to_be_visible()
        # The widget's own styles apply although the host's style-src does not name Ponton
        # (they come inside the script), and neither way through the shadow boundary: the
        # host's red buttons stay the host's, and the host's own .pw-title keeps its size.
        assert launcher.evaluate("(e) => getComputedStyle(e).backgroundColor") == "rgb(31, 95, 191)"
        assert launcher.evaluate("(e) => getComputedStyle(e).position") == "fixed"
        assert launcher.evaluate("(e) => getComputedStyle(e).fontFamily") != "serif"
        host_title = page.locator("h1.pw-title")
        assert host_title.evaluate("(e) => getComputedStyle(e).fontSize") == "40px"

        _ask_for_a_person(page)
        page.screenshot(path=str(artifacts / "widget-other-site.png"))

        conversation = Conversation.objects.get()
        assert conversation.state == State.WAITING_HUMAN
        assert conversation.customer == customer
        # The chat's socket from the other origin was admitted: it said "ready".
        for _ in range(100):  # a bound, not a measure
            if any(r.startswith("frame:") and '"ready"' in r for r in requests):
                break
            page.wait_for_timeout(100)
        else:
            pytest.fail("The widget's websocket never got ready on the other site")
        assert complaints == []
        urls = [u for u in requests if not u.startswith("frame:")]
        # One script, nothing else fetched to dress it.
        assert [u for u in urls if "/static/" in u] == [f"{asgi_server}/static/ponton/widget.js"]
        assert {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in urls} <= {
            host_site.origin,
            asgi_server,
            asgi_server.replace("http://", "ws://"),
        }
    finally:
        context.close()

    # The agent's side, through the API an inbox reads: who, and on which page.
    token = create_api_token(agent)
    seen = Client().get(
        f"/api/v1/conversations/{conversation.pk}", headers={"Authorization": f"Bearer {token}"}
    )
    assert seen.status_code == 200, seen.content
    packet = seen.json()["context"]
    assert (packet["customer"]["id"], packet["customer"]["plan"]) == (customer.pk, "fibre-max")
    assert packet["page"] == {
        "url": f"{host_site.origin}/app/box",
        "module": "box",
        "attributes": {"screen": "wifi-settings"},
    }


def test_with_a_wrong_hash_the_chat_from_the_companys_site_stays_anonymous(
    browser: Any, asgi_server: str, host_site: HostSite, kb: KB, customer: User
) -> None:
    number = customer.profile.customer_number
    host_site.pages["/app/box"] = _host_page(
        asgi_server, customer_id=number, customer_hash=identity_digest(number, "guessed")
    )
    context, page, complaints, _requests = _visit(browser, f"{host_site.origin}/app/box")
    try:
        _ask_for_a_person(page)
    finally:
        context.close()

    conversation = Conversation.objects.get()
    assert conversation.customer is None
    assert "id" not in conversation.context["customer"]
    assert conversation.context["page"]["url"] == f"{host_site.origin}/app/box"
    assert complaints == []
