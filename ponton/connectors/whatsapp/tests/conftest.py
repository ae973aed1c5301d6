"""WhatsApp as the tests play it: Meta's webhook deliveries, signed (or not) as Meta signs
them, and a local HTTP server standing in for the Graph API (the one party we cannot run)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from ponton.connectors.whatsapp.signature import sign

APP_SECRET = "meta-app-secret"
PHONE_NUMBER_ID = "106540352242922"
TOKEN = "graph-access-token"
CLAIRE_WA = "33612345678"


@dataclass
class GraphAPI:
    """What Ponton sent to the Graph API, and what the stand-in answers."""

    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def bodies(self) -> list[dict[str, Any]]:
        return [s["json"] for s in self.sent]


def _handler(graph: GraphAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: dict[str, Any]) -> None:
            self._answer(status, json.dumps(data).encode(), "application/json")

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            graph.sent.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "json": body}
            )
            if graph.fail_next:
                self._json(*graph.fail_next.pop(0))
                return
            self._json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                    "messages": [{"id": f"wamid.out{len(graph.sent)}"}],
                },
            )

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._json(401, {"error": {"message": "Invalid OAuth access token", "code": 190}})
                return
            name = self.path.removeprefix("/v21.0/")
            if name.startswith("files/"):
                data, content_type = graph.media[name.removeprefix("files/")]
                self._answer(200, data, content_type)
            elif name in graph.media:
                data, content_type = graph.media[name]
                self._json(
                    200,
                    {
                        "url": f"{graph.url}/files/{name}",
                        "mime_type": content_type,
                        "file_size": len(data),
                        "id": name,
                    },
                )
            else:
                self._json(404, {"error": {"message": "Unknown media", "code": 100}})

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def graph_api(settings: Any, db: None) -> Iterator[GraphAPI]:
    graph = GraphAPI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(graph))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    graph.url = f"http://127.0.0.1:{server.server_port}/v21.0"
    settings.SITE_URL = "https://help.example.com"
    settings.PONTON_WHATSAPP_API_URL = graph.url
    settings.PONTON_WHATSAPP_APP_SECRET = APP_SECRET
    settings.PONTON_WHATSAPP_VERIFY_TOKEN = "verify-me"
    settings.PONTON_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.PONTON_WHATSAPP_TOKEN = TOKEN
    settings.PONTON_WHATSAPP_TEMPLATE = ""
    try:
        yield graph
    finally:
        server.shutdown()
        server.server_close()


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "33199001234",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def message_payload(
    message: dict[str, Any], *, at: datetime, sender: str = CLAIRE_WA, name: str = "Claire"
) -> dict[str, Any]:
    """A customer's message as Meta delivers it."""
    return envelope(
        {
            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [
                {"from": sender, "timestamp": str(int(at.timestamp())), **message},
            ],
        }
    )


def text(body: str, wamid: str) -> dict[str, Any]:
    return {"id": wamid, "type": "text", "text": {"body": body}}


def status_payload(wamid: str, status: str, *, at: datetime, **extra: Any) -> dict[str, Any]:
    return envelope(
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": status,
                    "timestamp": str(int(at.timestamp())),
                    "recipient_id": CLAIRE_WA,
                    **extra,
                }
            ]
        }
    )


def deliver(client: Client, payload: dict[str, Any], *, secret: str | None = APP_SECRET) -> Any:
    """POST a delivery as Meta does: the raw JSON and its X-Hub-Signature-256."""
    raw = json.dumps(payload).encode()
    headers = {"HTTP_X_HUB_SIGNATURE_256": sign(raw, secret)} if secret is not None else {}
    return client.post(
        "/api/v1/channels/whatsapp/webhook", raw, content_type="application/json", **headers
    )
