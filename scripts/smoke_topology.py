"""Smoke test of a running production topology, through its reverse proxy.

scripts/topology_ci.sh starts it (nginx with deploy/nginx/ponton.conf, two app processes,
a worker, PostgreSQL and Redis) and runs this with the same environment as the app
processes, which lets it make an agent and their API token in the database. Every check
goes through the proxy, over TLS, as a browser and the widget would:

- plain HTTP is redirected to HTTPS; the help center's page loads, marked HTTPS-only;
- a static file comes from the collected folder, served by nginx itself;
- a chat started with the widget's API asks for a person: the agent's websocket hears the
  handoff, then the customer's next message; the agent's answer reaches the customer's
  websocket;
- a body over a route's cap is refused by the proxy (413), under it it reaches the app.

Prints one JSON line of what it saw; exits non-zero at the first failed check.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import django
import httpx
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

# Seconds: bounds, not measures. A process starting on a busy 2-core machine (numpy, scipy and
# Django imported) can take a minute; a push or a response takes far less.
STARTUP = 180.0
PATIENCE = 30.0
START = "/api/v1/chat/conversations"


class SmokeError(Exception):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeError(what)


def wait_until_up(urls: list[str]) -> None:
    """Each app process answers HTTP (any status: production redirects plain HTTP)."""
    deadline = time.monotonic() + STARTUP
    for url in urls:
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.HTTPError as exc:
                if time.monotonic() > deadline:
                    raise SmokeError(f"{url} did not answer within {STARTUP:.0f}s: {exc}") from exc
                time.sleep(0.3)


def make_agent() -> tuple[str, str]:
    """A new agent of the default scope (unrouted handoffs) and an API token of theirs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponton.settings")
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Django's logging shows every request
    from ponton.accounts.models import Role, User
    from ponton.accounts.services import create_api_token

    name = f"smoke-{secrets.token_hex(4)}"
    user = User.objects.create_user(name, role=Role.AGENT, first_name="Smoke", last_name="Test")
    return name, create_api_token(user, name="topology smoke test")


def websocket(proxy: str, path: str, context: ssl.SSLContext, token: str = "") -> ClientConnection:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return connect(
        proxy.replace("https://", "wss://") + path,
        ssl=context,
        additional_headers=headers,
        origin=Origin(proxy),
        open_timeout=PATIENCE,
    )


def receive_until(socket: ClientConnection, wanted: dict[str, Any]) -> dict[str, Any]:
    """The first frame with every key of `wanted` at its value (others are skipped)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SmokeError(f"no push {wanted} within {PATIENCE:.0f}s")
        frame = json.loads(socket.recv(timeout=left))
        if all(frame.get(key) == value for key, value in wanted.items()):
            return dict(frame)


def smoke(proxy: str, plain: str, context: ssl.SSLContext, static_root: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with httpx.Client(base_url=proxy, verify=context, timeout=PATIENCE) as client:
        # Plain HTTP only leads to HTTPS.
        redirect = httpx.get(f"{plain}/fr/", timeout=PATIENCE)
        check(redirect.status_code == 301, f"plain HTTP: {redirect.status_code}, not 301")
        check(
            redirect.headers.get("location", "").startswith("https://"),
            f"plain HTTP redirects to {redirect.headers.get('location')!r}",
        )

        # The help center, marked HTTPS-only: the app believed the proxy's X-Forwarded-Proto.
        page = client.get("/fr/")
        check(page.status_code == 200, f"help center: {page.status_code}")
        check("<html" in page.text and 'lang="fr"' in page.text, "help center: not the page")
        check("strict-transport-security" in page.headers, "help center: no HSTS header")
        english = client.get("/en/")
        check(english.status_code == 200, f"help center in English: {english.status_code}")
        seen["help_center"] = page.status_code

        # A static file from the collected folder, served by nginx (its `expires 1h`; the
        # app's WhiteNoise would say max-age=60).
        widget = client.get("/static/ponton/widget.js")
        check(widget.status_code == 200, f"static file: {widget.status_code}")
        check(
            widget.content == (static_root / "ponton" / "widget.js").read_bytes(),
            "static file: not the collected one",
        )
        check(
            widget.headers.get("cache-control") == "max-age=3600",
            f"static file not served by nginx (Cache-Control {widget.headers.get('cache-control')!r})",
        )
        check(widget.headers.get("x-content-type-options") == "nosniff", "static file: sniffable")
        seen["static"] = widget.headers["cache-control"]

        # A chat handed off to a person, heard by the agent's websocket through the proxy.
        agent, token = make_agent()
        staff = {"Authorization": f"Bearer {token}"}
        with websocket(proxy, "/ws/inbox/", context, token) as inbox:
            started = client.post(
                START, json={"text": "Je veux parler à un conseiller", "lang": "fr"}
            )
            check(started.status_code == 201, f"chat start: {started.status_code} {started.text}")
            chat = started.json()
            check(chat["state"] == "waiting_human", f"chat state: {chat['state']}")
            receive_until(inbox, {"conversation": chat["id"], "what": "handoff"})
            seen["handoff_pushed"] = True

            say = {"X-Conversation-Token": chat["token"]}
            posted = client.post(
                f"{START}/{chat['id']}/messages", json={"text": "Ma box clignote"}, headers=say
            )
            check(posted.status_code == 201, f"chat message: {posted.status_code} {posted.text}")
            receive_until(inbox, {"conversation": chat["id"], "what": "message"})
            thread = client.get(f"/api/v1/conversations/{chat['id']}/messages", headers=staff)
            check(thread.status_code == 200, f"agent reads: {thread.status_code}")
            texts = [m["text"] for m in thread.json()["messages"]]
            check("Ma box clignote" in texts, f"agent reads: {texts}")
            seen["message_pushed"] = True

        # The agent answers; the customer's websocket (the widget's) hears it.
        with websocket(proxy, f"/ws/chat/{chat['id']}/", context) as widget_socket:
            widget_socket.send(json.dumps({"token": chat["token"]}))
            receive_until(widget_socket, {"type": "ready"})
            reply = client.post(
                f"/api/v1/conversations/{chat['id']}/messages",
                json={"text": "Bonjour, je regarde votre ligne."},
                headers=staff,
            )
            check(reply.status_code == 201, f"agent reply: {reply.status_code} {reply.text}")
            receive_until(widget_socket, {"type": "changed"})
            after = client.get(f"{START}/{chat['id']}/messages", headers=say).json()
            check(
                after["messages"][-1]["text"] == "Bonjour, je regarde votre ligne.",
                "customer reads the answer",
            )
            seen["reply_pushed"] = True

        # Bodies over a route's cap stop at the proxy; under it they reach the app.
        for path, size in ((START, 65 * 1024), ("/fr/", 3 * 1024 * 1024)):
            refused = client.post(path, content=b"x" * size, headers=_json())
            check(refused.status_code == 413, f"{size} bytes to {path}: {refused.status_code}")
            check("nginx" in refused.text, f"{size} bytes to {path}: refused by the app")
        seen["too_large"] = 413
        # The customer space's reply with its files takes more (51 MB): the app answers.
        upload = client.post(
            "/fr/account/requests/1/", content=b"x" * (3 * 1024 * 1024), headers=_json()
        )
        check(upload.status_code != 413, "3 MB to the customer space's reply: 413")
        seen["upload_reaches_app"] = upload.status_code
        seen["agent"] = agent
    return seen


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxy", required=True, help="the proxy's HTTPS address")
    parser.add_argument("--plain", required=True, help="the proxy's plain-HTTP address")
    parser.add_argument("--ca", required=True, type=Path, help="the proxy certificate's CA")
    parser.add_argument("--static-root", required=True, type=Path)
    parser.add_argument("--app", action="append", default=[], help="an app process's address")
    options = parser.parse_args()
    context = ssl.create_default_context(cafile=str(options.ca))
    try:
        wait_until_up(options.app)
        seen = smoke(
            options.proxy.rstrip("/"), options.plain.rstrip("/"), context, options.static_root
        )
    except (SmokeError, httpx.HTTPError, WebSocketException, OSError, TimeoutError) as exc:
        print(f"smoke test failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"smoke": "passed", **seen}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
