"""Emails about incidents: to those who subscribed, and proactively to the customers of the
affected plans and segments, when an incident is declared and when it is resolved.

One task per update (`status.send_notices`) writes one `Notice` per address before sending
it, so a retried task never sends the same update twice to anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import CustomerProfile, Role
from ponton.status.models import Incident, IncidentUpdate, Notice, NoticeOptOut, Phase, Subscription
from ponton.status.services import unsubscribe_token

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    proactive: bool
    subscription: Subscription | None = None


def _is_first(update: IncidentUpdate) -> bool:
    return (
        not IncidentUpdate.objects.filter(
            incident_id=update.incident_id, created_at__lt=update.created_at
        ).exists()
        and not IncidentUpdate.objects.filter(
            incident_id=update.incident_id, created_at=update.created_at, pk__lt=update.pk
        ).exists()
    )


def _affected_customers(incident: Incident) -> Iterator[Recipient]:
    profiles = (
        CustomerProfile.objects.filter(user__role=Role.CUSTOMER, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    )
    if incident.plans:
        profiles = profiles.filter(plan__in=incident.plans)
    if incident.segments:
        profiles = profiles.filter(segment__in=incident.segments)
    module_sets = [set(c.modules or []) for c in incident.components.all()]
    modules = (
        None if not module_sets or any(not m for m in module_sets) else set().union(*module_sets)
    )
    for profile in profiles.order_by("pk").iterator(chunk_size=500):
        if modules is not None and not modules & set(profile.modules or []):
            continue
        yield Recipient(profile.user.email.lower(), profile.user.language or "fr", proactive=True)


def recipients(update: IncidentUpdate) -> list[Recipient]:
    """Who hears of this update: declaration and resolution only, once per address, a
    subscriber's own choice before a proactive notice; never an address that opted out."""
    incident = update.incident
    resolved = update.phase == Phase.RESOLVED
    if not (resolved or _is_first(update)):
        return []
    subscriptions = Subscription.objects.filter(
        unsubscribed_at__isnull=True, component__in=incident.components.all()
    )
    if resolved:
        subscriptions = subscriptions | Subscription.objects.filter(
            unsubscribed_at__isnull=True, incident=incident
        )
    found: dict[str, Recipient] = {}
    for subscription in subscriptions.order_by("pk"):
        found.setdefault(
            subscription.email,
            Recipient(subscription.email, subscription.language, False, subscription),
        )
    if incident.notify_affected:
        opted_out = set(NoticeOptOut.objects.values_list("email", flat=True))
        for recipient in _affected_customers(incident):
            if recipient.email not in opted_out:
                found.setdefault(recipient.email, recipient)
    return list(found.values())


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def build(update: IncidentUpdate, recipient: Recipient) -> EmailMultiAlternatives:
    incident = update.incident
    lang = recipient.language
    with override(lang):
        unsubscribe_url = _absolute(
            reverse(
                "status:unsubscribe",
                args=[unsubscribe_token(recipient.email, recipient.subscription)],
            )
        )
        context = {
            "incident": incident,
            "title": incident.title(lang),
            "message": update.message(lang),
            "resolved": update.phase == Phase.RESOLVED,
            "phase": update.get_phase_display(),
            "proactive": recipient.proactive,
            "status_url": _absolute(reverse("status:page")),
            "contact_url": _absolute(reverse("webform:contact")),
            "unsubscribe_url": unsubscribe_url,
            "site_name": settings.SITE_NAME,
        }
        if update.phase == Phase.RESOLVED:
            subject = _("Resolved: %(title)s") % {"title": context["title"]}
        else:
            subject = _("Incident in progress: %(title)s") % {"title": context["title"]}
        text = render_to_string("status/email/notice.txt", context)
        html = render_to_string("status/email/notice.html", context)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.attach_alternative(html, "text/html")
    return mail


def send_notices(update_id: int) -> int:
    """Send this update's notices not sent yet; how many left now. Idempotent: a notice is
    recorded before its mail leaves and marked sent after, and an address has one notice
    per update (a crash in between may at worst send that one mail again)."""
    update = IncidentUpdate.objects.select_related("incident").filter(pk=update_id).first()
    if update is None:
        return 0
    sent = 0
    failures = 0
    for recipient in recipients(update):
        try:
            with transaction.atomic():
                notice, _created = Notice.objects.get_or_create(
                    update=update,
                    email=recipient.email,
                    defaults={
                        "language": recipient.language,
                        "proactive": recipient.proactive,
                        "subscription": recipient.subscription,
                    },
                )
        except IntegrityError:
            continue  # another worker holds this one
        if notice.sent_at is not None:
            continue
        try:
            build(update, recipient).send()
        except Exception as error:  # one bad address must not stop the others
            failures += 1
            logger.warning("Incident notice to %s failed: %s", recipient.email, error)
            continue
        Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
        sent += 1
    if failures:
        raise NoticesFailed(f"{failures} incident notices failed for update {update_id}")
    return sent


class NoticesFailed(RuntimeError):
    """Some notices could not be sent: the task runs again for those (the others are marked)."""
