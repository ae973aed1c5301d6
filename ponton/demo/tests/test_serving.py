"""`ponton demo --port N`: the links the demo builds and the selfcare actions it
runs follow the port it serves on."""

from __future__ import annotations

import random
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from ponton.accounts.models import User
from ponton.conftest import KB
from ponton.connectors.tests.test_webchat_api import last_assistant_turn, send, start_chat
from ponton.conversations import surveys
from ponton.conversations.lifecycle import open_conversation
from ponton.conversations.models import State
from ponton.demo import people


@pytest.fixture
def demo_loaded(db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's people are in the database (so `ponton demo` loads nothing), and
    no address is named in the environment."""
    people.create_people(random.Random(7), customers=3)
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("PONTON_CONNECTOR_URL", raising=False)
    # The defaults settings.py derives when the environment names no address.
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.PONTON_CONNECTOR_URL = "http://127.0.0.1:8000/demo-backend/"


def demo(*args: str) -> None:
    call_command("demo", *args, "--no-serve", stdout=StringIO())


def test_the_demo_on_another_port_sends_survey_links_to_that_port(
    demo_loaded: None, customer: User
) -> None:
    demo("--port", "8123")
    conversation = open_conversation(
        channel="email", first_message="Bonjour", customer=customer, email="claire@example.net"
    ).conversation

    surveys.email_survey(surveys.csat_for(conversation))

    [sent] = mail.outbox
    assert "http://127.0.0.1:8123/fr/survey/" in sent.body
    assert ":8000" not in sent.body


def test_the_demo_on_another_port_runs_selfcare_actions_on_its_own_backend(
    demo_loaded: None, live_server: Any, client: Client, kb: KB, customer: User
) -> None:
    served = urlsplit(live_server.url)
    assert served.hostname is not None and served.port is not None
    demo("--host", served.hostname, "--port", str(served.port))
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    body = send(client, chat, action="do:latest_invoice")

    assert "https://espace.hirondelle.example/factures/F" in last_assistant_turn(body)["text"]
    assert body["state"] == State.CLOSED


def test_an_address_named_in_the_environment_is_kept(
    demo_loaded: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITE_URL", "https://support.example.com")
    settings.SITE_URL = "https://support.example.com"

    demo("--port", "8123")

    assert settings.SITE_URL == "https://support.example.com"
    assert settings.PONTON_CONNECTOR_URL == "http://127.0.0.1:8000/demo-backend/"
