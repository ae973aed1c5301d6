"""What the operations tests share: a conversation with files, and `ponton` run as an
operator runs it, in another process with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from ponton.accounts.models import User
from ponton.connectors.webform.services import ContactRequest, request_contact
from ponton.conversations.models import Attachment
from ponton.portal import services

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PONTON = str(Path(sys.executable).with_name("ponton"))


def request_with_files(customer: User) -> list[Attachment]:
    """Claire's request through the contact form, then her reply carrying two files."""
    conversation = request_contact(
        ContactRequest(text="Ma box ne s'allume plus.", customer=customer, language="fr")
    )
    message = services.reply_to_request(
        conversation,
        customer=customer,
        reply=services.Reply(
            text="Voici la photo et la facture.",
            files=[
                SimpleUploadedFile("voyant.png", PNG, content_type="image/png"),
                SimpleUploadedFile("facture.pdf", PDF, content_type="application/pdf"),
            ],
        ),
    )
    return list(message.attachments.order_by("name"))


def ponton(*args: str, env: dict[str, str], timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PONTON, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
