"""The attacks on input that found holes, replayed: unbounded bodies, unthrottled chat
messages, the contact form as an open relay, formulas in exported CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.conftest import KB
from ponton.conversations.models import Conversation
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

START = "/api/v1/chat/conversations"
ATTACKER = "203.0.113.66"


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "----ponton"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nBonjour\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="blob"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_60_mb_anonymous_multipart_body_to_the_chat_api_is_refused_with_413(
    client: Client, kb: KB
) -> None:
    body, content_type = _multipart(60 * 1024 * 1024)
    response = client.generic("POST", START, body, content_type=content_type)
    assert response.status_code == 413
    assert not Conversation.objects.exists()


def test_an_oversized_upload_to_the_customer_space_is_refused_with_413(
    client: Client, customer: User, settings: Any
) -> None:
    settings.PONTON_UPLOAD_MAX_BODY_BYTES = 1024 * 1024
    client.force_login(customer)
    body, content_type = _multipart(2 * 1024 * 1024)
    response = client.generic("POST", "/fr/account/requests/1/", body, content_type=content_type)
    assert response.status_code == 413
    assert b"data-human-exit" in response.content


def _asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> int:
    return _asgi_answer(path, chunks, headers)[0]


def _asgi_answer(
    path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body the server answers a POST sent in these chunks."""
    from ponton.asgi import application

    async def scenario() -> tuple[int, dict[str, str], bytes]:
        app = ApplicationCommunicator(
            application,
            {
                "type": "http",
                "method": "POST",
                "path": path,
                "query_string": b"",
                "headers": [(b"host", b"testserver"), *headers],
                "client": ("203.0.113.66", 5000),
                "server": ("testserver", 80),
                "scheme": "http",
                "http_version": "1.1",
            },
        )
        for n, chunk in enumerate(chunks):
            await app.send_input(
                {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
            )
        start = await app.receive_output(10)
        body = b""
        while True:
            message = await app.receive_output(10)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await app.wait(10)
        answered = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
        return int(start["status"]), answered, body

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_the_server_refuses_a_declared_large_body_without_reading_it() -> None:
    # Only the first megabyte is ever sent: a server waiting for the rest would hang.
    status = _asgi_post(
        START,
        [b"x" * 1024 * 1024],
        [
            (b"content-length", str(60 * 1024 * 1024).encode()),
            (b"content-type", b"application/json"),
        ],
    )
    assert status == 413


@pytest.mark.django_db(transaction=True)
def test_the_server_stops_reading_a_chunked_body_at_the_cap() -> None:
    status = _asgi_post(
        START, [b"x" * 50_000, b"x" * 50_000], [(b"content-type", b"application/json")]
    )
    assert status == 413


def _script_sources(policy: str) -> list[str]:
    directives = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}["script-src"]


@pytest.mark.django_db(transaction=True)
def test_the_server_answers_an_oversized_page_post_with_the_html_413_and_its_policy() -> None:
    status, headers, body = _asgi_answer(
        "/en/account/requests/1/",
        [b"x" * 1024],
        [
            (b"content-length", str(60 * 1024 * 1024).encode()),
            (b"content-type", b"multipart/form-data; boundary=x"),
        ],
    )
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert b"data-human-exit" in body and b"too large" in body
    assert "'self'" in _script_sources(headers["content-security-policy"])
    assert "'unsafe-inline'" not in _script_sources(headers["content-security-policy"])
    assert int(headers["content-length"]) == len(body)


@pytest.mark.django_db(transaction=True)
def test_the_server_still_answers_an_oversized_api_body_in_json() -> None:
    status, headers, body = _asgi_answer(
        START, [b"x" * 50_000, b"x" * 50_000], [(b"content-type", b"application/json")]
    )
    assert (status, headers["content-type"]) == (413, "application/json")
    assert b"larger than" in body


def test_an_oversized_form_post_to_a_page_gets_the_413_page_with_the_policy(
    client: Client, db: None, settings: Any
) -> None:
    settings.PONTON_MAX_BODY_BYTES = 1024
    response = client.post("/fr/contact/", {"message": "x" * 4096})
    assert response.status_code == 413
    assert b"data-human-exit" in response.content
    assert "'unsafe-inline'" not in _script_sources(response["Content-Security-Policy"])


def test_chat_messages_after_the_first_are_rate_limited_per_conversation(
    client: Client, kb: KB, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "chat_conversation": "5/minute",
        },
    }
    chat = client.post(START, {"text": "Bonjour"}, content_type="application/json").json()
    codes = [
        client.post(
            f"{START}/{chat['id']}/messages",
            {"text": f"message {n}"},
            content_type="application/json",
            HTTP_X_CONVERSATION_TOKEN=chat["token"],
            HTTP_X_FORWARDED_FOR=f"10.1.1.{n}",
        ).status_code
        for n in range(8)
    ]
    assert codes[:5] == [201] * 5
    assert codes[-1] == 429
    # Reading is not limited: the widget re-reads after every push.
    read = client.get(f"{START}/{chat['id']}/messages", HTTP_X_CONVERSATION_TOKEN=chat["token"])
    assert read.status_code == 200


def test_chat_messages_are_rate_limited_per_address_across_conversations(
    client: Client, kb: KB, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "chat_address": "4/minute",
        },
    }
    chats = [
        client.post(START, {"text": "Bonjour"}, content_type="application/json").json()
        for _ in range(3)
    ]
    codes = [
        client.post(
            f"{START}/{chat['id']}/messages",
            {"text": "encore"},
            content_type="application/json",
            HTTP_X_CONVERSATION_TOKEN=chat["token"],
        ).status_code
        for chat in chats * 2
    ]
    assert codes[-1] == 429


def test_the_contact_form_never_relays_a_visitors_text_to_a_typed_address(
    client: Client, db: None, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/fr/contact/",
            {"text": "Gagnez 1000 € sur http://spam.example", "email": "victim@example.net"},
        )
    assert len(mailoutbox) == 1
    assert "spam.example" not in mailoutbox[0].body
    assert "1000" not in mailoutbox[0].subject + mailoutbox[0].body


def test_a_signed_in_customer_gets_her_own_text_back(
    client: Client, customer: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/fr/contact/", {"text": "Ma facture de mai est fausse"})
    assert "Ma facture de mai est fausse" in mailoutbox[0].body


def test_the_contact_form_is_throttled_per_recipient_and_per_address(
    client: Client, db: None, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    codes = []
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            codes.append(
                client.post(
                    "/fr/contact/",
                    {"text": f"Demande {n}", "email": "victim@example.net"},
                    REMOTE_ADDR=ATTACKER,
                    HTTP_X_FORWARDED_FOR=f"10.2.2.{n}",
                ).status_code
            )
    assert len(mailoutbox) == 3  # acknowledgements to one recipient in an hour
    assert codes[-1] == 429  # requests from one address in an hour
    assert Conversation.objects.count() == 10


def test_a_search_written_as_a_formula_is_inert_in_the_gaps_csv(
    client: Client, supervisor: User, kb: KB
) -> None:
    for minutes in (0, 40):
        record_event(
            EventKind.SEARCH,
            visitor_id="v1",
            data={"query": '=HYPERLINK("http://x","carte cadeau")', "results": 0},
            language="fr",
            occurred_at=timezone.now() - timedelta(days=1, minutes=minutes),
        )
    client.force_login(supervisor)
    response = client.get("/fr/manage/insights/export/gaps.csv?days=7")
    cells = [
        c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row
    ]
    assert any(c.startswith("'=HYPERLINK(") for c in cells), cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
