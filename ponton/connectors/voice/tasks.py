"""The phone channel's background work: links by text message, the email after a missed
callback, callbacks announced when their slot comes, and recordings forgotten."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from ponton.connectors.voice import callbacks, calls, provider
from ponton.conversations import realtime
from ponton.conversations.models import Callback, CallbackStatus, Message
from ponton.tasks.services import register

logger = logging.getLogger(__name__)
ANNOUNCE_EVERY = timedelta(minutes=1)


@register("voice.sms_link", attempts=6)
def sms_link(message_id: int, to: str) -> None:
    """The article's link the caller asked for, by text message, once."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None or not provider.sms_configured():
        return
    provider.send_sms(to=to, body=message.text[:600])


@register("voice.callback_missed", attempts=8)
def callback_missed(callback_id: int) -> None:
    """Tell the customer by email that two calls did not reach them."""
    callback = (
        Callback.objects.select_related("conversation", "customer").filter(pk=callback_id).first()
    )
    if callback is None or callback.status != CallbackStatus.MISSED:
        return
    mail = callbacks.missed_email(callback)
    if mail is None:
        return
    address, subject, body = mail
    send_mail(subject, body, None, [address])


@register("voice.callbacks_due", every=ANNOUNCE_EVERY)
def callbacks_due() -> None:
    """When a callback's slot (or retry) comes, the agents who may make it see it: their
    inbox re-reads, and lists it as due."""
    now = timezone.now()
    window = (now - ANNOUNCE_EVERY + callbacks.DUE_AHEAD, now + callbacks.DUE_AHEAD)
    due = Callback.objects.filter(
        status=CallbackStatus.REQUESTED, conversation__isnull=False
    ).filter(starts_at__gt=window[0], starts_at__lte=window[1]) | Callback.objects.filter(
        status=CallbackStatus.REQUESTED,
        conversation__isnull=False,
        retry_at__gt=now - ANNOUNCE_EVERY,
        retry_at__lte=now,
    )
    for callback in due.select_related("conversation"):
        if callback.conversation is not None:
            realtime.announce(callback.conversation, "callback")


@register("voice.purge_recordings", every=timedelta(hours=1))
def purge_recordings() -> None:
    """Links to recordings are kept PONTON_RECORDING_RETENTION_DAYS, then forgotten."""
    purged = calls.purge_recordings(retention_days=settings.PONTON_RECORDING_RETENTION_DAYS)
    if purged:
        logger.info("Forgot %s call recording links past retention", purged)
