from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    ASSISTANT = "assistant", _("With the assistant")
    WAITING_HUMAN = "waiting_human", _("Waiting for a person")
    WITH_HUMAN = "with_human", _("With a person")
    CLOSED = "closed", _("Closed")


class ConversationChannel(models.TextChoices):
    WEB_FORM = "web_form", _("Contact form")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")


class HandoffReason(models.TextChoices):
    CUSTOMER_REQUEST = "customer_request", _("The customer asked for a person")
    EMOTION = "emotion", _("Anger or frustration")
    REPEAT_CONTACT = "repeat_contact", _("Repeated contact")
    SENSITIVE_SITUATION = "sensitive_situation", _("Sensitive situation")
    LEGAL = "legal", _("Legal threat or formal complaint")
    FRAUD_SECURITY = "fraud_security", _("Fraud or security")
    CRITICAL_IMPACT = "critical_impact", _("Business-critical impact")
    NEGOTIATION = "negotiation", _("Negotiation or intent to leave")
    MISSING_KNOWLEDGE = "missing_knowledge", _("No answer in the knowledge base")
    FAILED_ATTEMPTS = "failed_attempts", _("Selfcare attempts failed")
    POLICY_TOPIC = "policy_topic", _("A topic that always goes to a person")
    CUSTOMER_PREFERENCE = "customer_preference", _("The customer prefers a person")


def _token() -> str:
    return secrets.token_urlsafe(24)


class Conversation(models.Model):
    """One customer need, followed across channels until it is resolved.

    At any moment it is owned by the assistant or by a person (`state`); a
    handoff freezes the context packet so the agent never asks again.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    visitor_id = models.CharField(max_length=36, blank=True)
    name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    channel = models.CharField(max_length=16, choices=ConversationChannel.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ASSISTANT)
    language = models.CharField(max_length=2, default="fr")
    priority = models.PositiveSmallIntegerField(default=2, help_text="1 urgent … 4 low")
    handoff_reason = models.CharField(max_length=32, choices=HandoffReason.choices, blank=True)
    context = models.JSONField(default=dict, blank=True)
    # What the assistant has tried, so it never repeats itself and knows when to stop.
    offered_articles = models.JSONField(default=list, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    person_requests = models.PositiveSmallIntegerField(default=0)
    detected_need = models.JSONField(default=dict, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state", "priority", "created_at"], name="conv_queue")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_state_display()}"


class Author(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ASSISTANT = "assistant", _("Assistant")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.CharField(max_length=16, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    # Assistant turns: the articles shown and the choices offered ([{"id", "label"}]).
    articles = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    client_msg_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_msg_id"],
                condition=~models.Q(client_msg_id=""),
                name="one_message_per_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"
