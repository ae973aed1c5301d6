"""How the assistant words an answer: the article's own words, or a language model's
phrasing of that article only, cited, with the article's words whenever the model fails.

The language model is the one third party faked here: a tiny OpenAI-compatible
server on 127.0.0.1 answering what each test scripts.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from ponton.accounts.models import User
from ponton.assistant import phrasing
from ponton.conftest import KB
from ponton.connectors.tests.test_webchat_api import last_assistant_turn, start_chat
from ponton.knowledge.models import Status
from ponton.knowledge.services import (
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
)

# The English password article's first paragraph, as a customer reads it.
PASSWORD_FIRST_PARAGRAPH = (
    "Use the Forgotten password? link on the sign-in page: you receive an email "
    "to choose a new password."
)
PASSWORD_TITLE_EN = "Forgotten password: reset it"


@dataclass
class Reply:
    """What the fake endpoint answers next."""

    status: int = 200
    body: Any = field(default_factory=dict)  # JSON-encoded unless bytes
    content_type: str = "application/json"
    hang: bool = False  # wait (until the test ends) instead of answering


class FakeEndpoint:
    """A third party's HTTP endpoint on 127.0.0.1 that answers what the test scripts
    and remembers what it was sent."""

    def __init__(self) -> None:
        self.reply = Reply()
        self.requests: list[dict[str, Any]] = []
        self._release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                endpoint.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(raw) if raw else None,
                    }
                )
                reply = endpoint.reply
                if reply.hang:
                    endpoint._release.wait(10)
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
                payload = body.encode() if isinstance(body, str) else body
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting: that was the point

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def closed_port_url() -> str:
    """The address of a port on 127.0.0.1 that nothing listens on any more."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_endpoint() -> Iterator[FakeEndpoint]:
    endpoint = FakeEndpoint()
    try:
        yield endpoint
    finally:
        endpoint.close()


def completion(content: str) -> dict[str, Any]:
    """An OpenAI-style chat completion carrying `content`."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "tiny-test",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


@pytest.fixture
def llm(settings: Any, fake_endpoint: FakeEndpoint) -> FakeEndpoint:
    """The deployment configured an OpenAI-compatible endpoint (here, the fake)."""
    settings.PONTON_LLM_URL = fake_endpoint.url + "/v1/"
    settings.PONTON_LLM_MODEL = "tiny-test"
    settings.PONTON_LLM_KEY = "sk-test"
    settings.PONTON_LLM_TIMEOUT = 5
    return fake_endpoint


def answer_text(client: Client, question: str = "I forgot my password") -> str:
    chat = start_chat(client, question, lang="en")
    turn = last_assistant_turn(chat)
    assert turn.get("articles"), chat  # the answer still shows its article
    return str(turn["text"])


# Without a language model ------------------------------------------------------------------


def test_without_a_language_model_the_answer_is_the_articles_first_paragraph(
    client: Client, kb: KB, settings: Any
) -> None:
    settings.PONTON_LLM_URL = ""
    settings.PONTON_LLM_MODEL = ""

    text = answer_text(client)

    assert PASSWORD_FIRST_PARAGRAPH in text
    assert "**" not in text  # Markdown is rendered to plain words
    assert "Open your customer account" not in text  # only the first paragraph


def test_a_url_without_a_model_name_is_not_a_configured_model(
    client: Client, kb: KB, settings: Any, fake_endpoint: FakeEndpoint
) -> None:
    settings.PONTON_LLM_URL = fake_endpoint.url + "/v1"
    settings.PONTON_LLM_MODEL = ""

    assert PASSWORD_FIRST_PARAGRAPH in answer_text(client)
    assert fake_endpoint.requests == []


def test_a_long_first_paragraph_is_cut_at_a_sentence_boundary(kb: KB, agent: User) -> None:
    sentence = "Votre box redémarre seule quand une mise à jour arrive pendant la nuit. "
    article = save_article(key="box-updates", fields=ArticleFields(category=kb.wifi, owner=agent))
    translation = save_translation(
        article=article,
        language="fr",
        fields=TranslationFields(
            title="Mises à jour de la box",
            body=sentence * 12 + "\n\nDeuxième paragraphe.\n",
            status=Status.PUBLISHED,
        ),
        author=agent,
    )

    extract = phrasing.extractive(translation)

    assert len(extract) <= phrasing.MAX_ANSWER_CHARS
    assert extract.endswith("pendant la nuit.")
    assert "Deuxième" not in extract


# With a language model ------------------------------------------------------------------------


def test_the_models_answer_is_used_when_it_cites_the_article(
    client: Client, kb: KB, llm: FakeEndpoint
) -> None:
    phrased = (
        "Tap Forgotten password? on the sign-in page and follow the emailed link within "
        f"the hour. [{PASSWORD_TITLE_EN}]"
    )
    llm.reply = Reply(body=completion(phrased))

    text = answer_text(client)

    assert phrased in text
    assert PASSWORD_FIRST_PARAGRAPH not in text


def test_the_model_is_asked_to_answer_from_the_article_only(
    client: Client, kb: KB, llm: FakeEndpoint
) -> None:
    llm.reply = Reply(body=completion(f"Use the link. [{PASSWORD_TITLE_EN}]"))

    answer_text(client)

    [sent] = llm.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["json"]["model"] == "tiny-test"
    system, user = sent["json"]["messages"]
    assert system["role"] == "system"
    assert PASSWORD_TITLE_EN in system["content"]
    assert "Forgotten password?" in system["content"]
    assert "English" in system["content"]
    assert "NO_ANSWER" in system["content"]
    assert user == {"role": "user", "content": "I forgot my password"}


def test_a_french_conversation_asks_the_model_for_french(
    client: Client, kb: KB, llm: FakeEndpoint
) -> None:
    llm.reply = Reply(body=completion(f"Utilisez le lien. [{kb.password_fr.title}]"))

    chat = start_chat(client, "j'ai oublié mon mot de passe", lang="fr")

    assert f"[{kb.password_fr.title}]" in last_assistant_turn(chat)["text"]
    assert "French" in llm.requests[0]["json"]["messages"][0]["content"]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(body=completion("Just click the link on the page.")), id="uncited"),
        pytest.param(Reply(body=completion(f"NO_ANSWER [{PASSWORD_TITLE_EN}]")), id="no-answer"),
        pytest.param(Reply(body=completion("   ")), id="empty"),
        pytest.param(Reply(body={"choices": []}), id="no-choices"),
        pytest.param(Reply(body=b"<html>Bad gateway</html>", content_type="text/html"), id="html"),
        pytest.param(Reply(status=500, body={"error": {"message": "overloaded"}}), id="500"),
        pytest.param(Reply(status=429, body={"error": {"message": "rate limited"}}), id="429"),
        pytest.param(Reply(hang=True), id="timeout"),
    ],
)
def test_a_failing_or_unusable_model_reply_falls_back_to_the_articles_words(
    client: Client, kb: KB, settings: Any, llm: FakeEndpoint, reply: Reply
) -> None:
    llm.reply = reply
    settings.PONTON_LLM_TIMEOUT = 0.3

    text = answer_text(client)

    assert PASSWORD_FIRST_PARAGRAPH in text
    assert len(llm.requests) == 1


def test_a_model_that_cannot_be_reached_falls_back_to_the_articles_words(
    client: Client, kb: KB, settings: Any
) -> None:
    settings.PONTON_LLM_URL = closed_port_url() + "/v1"
    settings.PONTON_LLM_MODEL = "tiny-test"

    assert PASSWORD_FIRST_PARAGRAPH in answer_text(client)


# The agent's summary ---------------------------------------------------------------------------


def test_the_agents_summary_comes_from_the_model_when_one_is_configured(
    llm: FakeEndpoint,
) -> None:
    llm.reply = Reply(body=completion("Needs a password reset.\nAlready read the article."))
    packet = {"transcript": [{"author": "customer", "text": "I forgot my password"}]}

    assert phrasing.summarise_for_agent(packet) == (
        "Needs a password reset.\nAlready read the article."
    )
    assert "customer: I forgot my password" in llm.requests[0]["json"]["messages"][1]["content"]


def test_the_agents_summary_is_empty_without_a_model_or_when_it_fails(
    settings: Any, llm: FakeEndpoint
) -> None:
    packet = {"transcript": [{"author": "customer", "text": "I forgot my password"}]}
    llm.reply = Reply(status=500)
    assert phrasing.summarise_for_agent(packet) == ""

    settings.PONTON_LLM_URL = ""
    assert phrasing.summarise_for_agent(packet) == ""
