"""Keeping each kind of data only as long as configured, then purging it.

Periods (days, from the settings): closed conversations' contents (texts, names,
addresses; the conversation's states and times stay for the measures), attachments'
files, the journey of anonymous visitors (13 months, as the CNIL recommends for
audience measurement), links to call recordings, audit entries (deleted through
`ponton.audit.services.purge_before`, the one routine that may delete them).
`purge(dry_run=True)` counts only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ponton.audit.models import AuditEntry
from ponton.audit.services import purge_before
from ponton.connectors.models import Call, EmailRecord, MessagingRecord
from ponton.conversations.models import Attachment, Conversation, Message, State
from ponton.insights.models import SessionFact
from ponton.journeys.models import JourneyEvent
from ponton.privacy.erasure import ERASED
from ponton.tasks.services import register


def _cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def purge(*, dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts: dict[str, int] = {}
    with transaction.atomic():
        old_attachments = Attachment.objects.filter(
            created_at__lt=_cutoff(now, settings.PONTON_RETENTION_ATTACHMENT_DAYS)
        )
        closed = Conversation.objects.filter(
            state=State.CLOSED,
            updated_at__lt=_cutoff(now, settings.PONTON_RETENTION_CONVERSATION_DAYS),
        ).exclude(name="", email="", phone="", context={})
        closed_ids = list(closed.values_list("pk", flat=True))
        of_closed = Attachment.objects.filter(message__conversation_id__in=closed_ids)
        attachments = list((old_attachments | of_closed).distinct())
        counts["attachments"] = len(attachments)
        counts["closed_conversations"] = len(closed_ids)
        visitors = JourneyEvent.objects.filter(
            customer__isnull=True,
            occurred_at__lt=_cutoff(now, settings.PONTON_RETENTION_VISITOR_JOURNEY_DAYS),
        )
        counts["visitor_journey_events"] = visitors.count()
        recordings = Call.objects.filter(
            ended_at__lt=_cutoff(now, settings.PONTON_RECORDING_RETENTION_DAYS),
            recording_url__gt="",
        )
        counts["call_recordings"] = recordings.count()
        audit_cutoff = _cutoff(now, settings.PONTON_RETENTION_AUDIT_DAYS)
        counts["audit_entries"] = AuditEntry.objects.filter(at__lt=audit_cutoff).count()
        if dry_run:
            return counts
        for attachment in attachments:
            attachment.file.delete(save=False)
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        messages = Message.objects.filter(conversation_id__in=closed_ids)
        messages.exclude(text=ERASED).update(text=ERASED)
        for record in EmailRecord.objects.filter(message__in=messages).exclude(original=""):
            record.original.delete(save=False)
        EmailRecord.objects.filter(message__in=messages).update(
            subject=ERASED, from_address="", to_address="", full_text="", references="", original=""
        )
        MessagingRecord.objects.filter(message__in=messages).update(number="", last_error="")
        Conversation.objects.filter(pk__in=closed_ids).update(
            name="", email="", phone="", context={}
        )
        visitors.delete()
        SessionFact.objects.filter(
            Q(customer__isnull=True),
            started_at__lt=_cutoff(now, settings.PONTON_RETENTION_VISITOR_JOURNEY_DAYS),
        ).delete()
        recordings.update(recording_url="", recording_purged_at=now)
        counts["audit_entries"] = purge_before(audit_cutoff)
    return counts


@register("privacy.purge", every=timedelta(hours=6))
def purge_task() -> None:
    purge()
