"""A real HTTP receiver on 127.0.0.1 that verifies every delivery with the Standard Webhooks
library, and answers what the test tells it to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import translation
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str
    verified: bool
    payload: Any = None


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def answer(
        self, code: int, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> None:
        """Queue one answer; once they are used up, the receiver answers 200."""
        self.answers.append((code, headers or {}, body))

    def verify(self, body: bytes, headers: dict[str, str]) -> tuple[bool, Any]:
        for secret in self.secrets:
            try:
                return True, Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return False, None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified, payload = state.verify(body, headers)
            with lock:
                state.received.append(Received(headers, body, self.path, verified, payload))
                code, extra, answer = state.answers.pop(0) if state.answers else (200, {}, b"")
            self.send_response(code)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """Errors are read in English here (the French catalogue has them too: see test_api)."""
    with translation.override("en"):
        yield


@pytest.fixture
def allow_private(settings: Any) -> None:
    """The receiver listens on 127.0.0.1: only the development flag lets webhooks go there."""
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = True


def payload_of(received: Received) -> dict[str, Any]:
    return json.loads(received.body)  # type: ignore[no-any-return]
