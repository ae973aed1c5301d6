"""Retention: what is past its period is purged; `--dry-run` only counts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from ponton.accounts.models import User
from ponton.audit.models import Action, AuditEntry
from ponton.audit.services import record
from ponton.conversations.models import Attachment, Conversation, Message, State
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event


def _old_closed_conversation(customer: User, *, days: int) -> Conversation:
    when = timezone.now() - timedelta(days=days)
    with time_machine.travel(when, tick=False):
        conversation = Conversation.objects.create(
            customer=customer, name="Claire Martin", email="claire@example.net", state=State.CLOSED
        )
        message = Message.objects.create(
            conversation=conversation, author="customer", text="Mon RIB"
        )
        attachment = Attachment(
            message=message, name="rib.pdf", content_type="application/pdf", size=8
        )
        attachment.file.save("rib.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return conversation


def _last_json(capsys: Any) -> dict[str, Any]:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_purge_dry_run_counts_then_purge_removes(
    customer: User, capsys: Any, settings: Any, tmp_path: Any
) -> None:
    settings.PONTON_ATTACHMENTS_DIR = tmp_path
    old = _old_closed_conversation(customer, days=4 * 365)
    recent = _old_closed_conversation(customer, days=10)
    with time_machine.travel(timezone.now() - timedelta(days=500), tick=False):
        record_event(EventKind.SEARCH, visitor_id="anon-1", data={"query": "box"}, language="fr")
    record_event(EventKind.SEARCH, visitor_id="anon-2", data={"query": "box"}, language="fr")
    settings.PONTON_RETENTION_AUDIT_DAYS = 365
    record(Action.EXPORT_CSV, at=timezone.now() - timedelta(days=400), actor_label="old")
    record(Action.EXPORT_CSV, at=timezone.now() - timedelta(days=300), actor_label="recent")

    call_command("purge", "--dry-run")
    counted = _last_json(capsys)
    assert counted["closed_conversations"] == 1
    assert counted["attachments"] == 1
    assert counted["visitor_journey_events"] == 1
    assert counted["audit_entries"] == 1
    assert Attachment.objects.count() == 2 and JourneyEvent.objects.count() == 2
    assert AuditEntry.objects.filter(action=Action.EXPORT_CSV).count() == 2

    call_command("purge")
    purged = _last_json(capsys)
    assert purged["closed_conversations"] == 1 and purged["audit_entries"] == 1
    assert list(
        AuditEntry.objects.filter(action=Action.EXPORT_CSV).values_list("actor_label", flat=True)
    ) == ["recent"]
    old.refresh_from_db()
    assert (old.name, old.email) == ("", "")
    assert not old.messages.exclude(text="[erased]").exists()
    assert not Attachment.objects.filter(message__conversation=old).exists()
    assert Attachment.objects.filter(message__conversation=recent).exists()
    assert list(JourneyEvent.objects.values_list("visitor_id", flat=True)) == ["anon-2"]

    call_command("purge")
    again = _last_json(capsys)
    assert again["closed_conversations"] == 0 and again["attachments"] == 0
    assert again["audit_entries"] == 0
