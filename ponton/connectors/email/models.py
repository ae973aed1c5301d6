"""What the email channel remembers besides the conversation's messages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ponton.conversations.models import Message, attachment_storage


class Direction(models.TextChoices):
    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")


class Delivery(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Sending")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Not sent yet, retrying")
    FAILED = "failed", _("Could not be sent")
    BOUNCED = "bounced", _("Bounced")


class EmailRecord(models.Model):
    """An email as it travelled, beside the message agents and customers read.

    Its Message-ID is unique, so the same mail received twice (an MTA retry, an IMAP
    copy) is stored once, and a reply is threaded by the ids it names. The original is
    kept whole (private storage) so an agent can always read what was really sent.
    """

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="email")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    internet_message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    to_address = models.CharField(max_length=254, blank=True)
    # The whole text before quoted history and signatures were taken out.
    full_text = models.TextField(blank=True)
    original = models.FileField(storage=attachment_storage, upload_to="email/%Y/%m/", blank=True)
    # The sender is not the conversation's customer, or the headers were tampered with.
    unverified = models.BooleanField(default=False)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["from_address"], name="email_from")]

    def __str__(self) -> str:
        return f"<{self.internet_message_id}>"


class FailingAddress(models.Model):
    """An address our mail bounced from: agents are told, and see it before they write."""

    address = models.CharField(max_length=254, unique=True)
    reason = models.TextField(blank=True)
    bounces = models.PositiveIntegerField(default=1)
    last_bounce_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.address
