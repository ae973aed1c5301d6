"""What a messaging provider (WhatsApp, SMS) knows of each message: its id there, and how
far an outbound one got (sent, delivered, read, or why not)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ponton.conversations.models import Message


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Received")
    OUTBOUND = "outbound", _("Sent")


class Delivery(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    RETRYING = "retrying", _("Retrying")
    # Outside WhatsApp's 24-hour window: the customer was invited (an approved template)
    # and the message goes out when they answer.
    HELD = "held", _("Waiting for the customer to write")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read by the customer")
    FAILED = "failed", _("Not delivered")


# Statuses only move forward: a late "delivered" never hides a "read".
PROGRESS = {
    Delivery.SENT: 1,
    Delivery.DELIVERED: 2,
    Delivery.READ: 3,
}


class MessagingRecord(models.Model):
    """The provider's side of one message: the id that deduplicates retried webhooks and
    that status callbacks name, and the delivery agents rely on ("did it arrive?")."""

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="messaging_record"
    )
    channel = models.CharField(max_length=16)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    provider_id = models.CharField(max_length=128, blank=True)
    number = models.CharField(max_length=32, blank=True)  # the customer's, in E.164
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    template = models.CharField(max_length=100, blank=True)  # sent instead, outside the window
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=~Q(provider_id=""),
                name="one_record_per_provider_message",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.provider_id or self.message_id}"
