from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    CONVERSATION_CREATED = "conversation.created", _("Conversation created")
    CONVERSATION_HANDED_OFF = "conversation.handed_off", _("Conversation handed off to a person")
    CONVERSATION_ASSIGNED = "conversation.assigned", _("Conversation assigned")
    MESSAGE_CREATED = "message.created", _("Message created")
    CONVERSATION_SOLVED = "conversation.solved", _("Conversation solved")
    SURVEY_ANSWERED = "survey.answered", _("Survey answered")
    INCIDENT_OPENED = "incident.opened", _("Incident opened")
    INCIDENT_UPDATED = "incident.updated", _("Incident updated")
    INCIDENT_RESOLVED = "incident.resolved", _("Incident resolved")
    ARTICLE_PUBLISHED = "article.published", _("Article published")


class WebhookEndpoint(models.Model):
    """An address of the company's own systems that is told, signed, when something
    happens here (a CRM, a data warehouse, a chat tool)."""

    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # `whsec_` + base64: the Standard Webhooks form, which receivers' libraries read as is.
    secret = models.CharField(max_length=100, editable=False)
    # While a secret is rotated, deliveries carry a signature with each (receivers switch
    # at their own pace).
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead letter")


class WebhookDelivery(models.Model):
    """One event for one endpoint: the same `msg_id` and body on every attempt, so a
    receiver can drop a retry it already handled."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    msg_id = models.CharField(_("webhook-id"), max_length=40, unique=True)
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    body = models.TextField()
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="webhook_delivery_status")]

    def __str__(self) -> str:
        return f"{self.event} {self.msg_id}"
