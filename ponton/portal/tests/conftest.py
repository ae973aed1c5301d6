"""Fixtures of the customer space: Claire's requests and files kept in a
temporary folder (attachments never touch the real data folder in tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ponton.accounts.models import Team, User
from ponton.connectors.webform.services import ContactRequest, request_contact
from ponton.conversations.lifecycle import assign
from ponton.conversations.models import Conversation

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def attachments_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "attachments"
    settings.PONTON_ATTACHMENTS_DIR = folder
    return folder


def png(name: str = "box.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def open_request(
    customer: User, text: str = "Ma box ne s'allume plus depuis hier."
) -> Conversation:
    """A request the customer sent through the contact form (waiting for a person)."""
    return request_contact(ContactRequest(text=text, customer=customer, language="fr"))


@pytest.fixture
def claires_request(customer: User) -> Conversation:
    return open_request(customer)


@pytest.fixture
def front_team(agent: User) -> Team:
    return agent.teams.get()


def give_to_team(conversation: Conversation, team: Team, by: User) -> Conversation:
    return assign(conversation, to=None, team=team, by=by)
