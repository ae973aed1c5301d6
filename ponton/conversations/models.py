from __future__ import annotations

import os
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
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
    WHATSAPP = "whatsapp", _("WhatsApp")


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
    HUMAN_CHANNEL = "human_channel", _("Came by a channel a person answers (email, phone)")


class Status(models.TextChoices):
    """Where the work on a request stands, as agents and the customer see it."""

    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending (waiting for the customer)")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


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
    # A number an anonymous customer left to be called back on (E.164).
    phone = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=16, choices=ConversationChannel.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ASSISTANT)
    language = models.CharField(max_length=2, default="fr")
    priority = models.PositiveSmallIntegerField(default=2, help_text="1 urgent … 4 low")
    handoff_reason = models.CharField(max_length=32, choices=HandoffReason.choices, blank=True)
    context = models.JSONField(default=dict, blank=True)
    # How many times the customer asked for a person (the wall index counts the repeats).
    person_requests = models.PositiveSmallIntegerField(default=0)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, default=_token, editable=False)
    # One sender's retried opening request (same client message id) finds this conversation
    # instead of opening a twin, even when both arrive at once (see lifecycle.opening_key).
    opening_key = models.CharField(max_length=64, blank=True, editable=False)
    # Once a person is involved: the queue it waits in, who works it, and the ticket status.
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # Service levels, computed on the team's business-hours calendar.
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "priority", "created_at"], name="conv_queue"),
            models.Index(fields=["team", "state"], name="conv_team_state"),
            models.Index(fields=["assignee", "state"], name="conv_assignee_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["opening_key"],
                condition=~models.Q(opening_key=""),
                name="one_conversation_per_opening",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_state_display()}"


class AssistantMemory(models.Model):
    """What the assistant tried in one conversation: the articles it offered, its failed
    attempts and the need it recognised, so it never repeats itself and knows when to stop.

    A row of its own: the assistant writes it on its turns, while the conversation's state
    belongs to the lifecycle. A conversation the assistant never answered has none.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="memory"
    )
    offered_articles = models.JSONField(default=list, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    detected_need = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"memory of #{self.conversation_id}"


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
    # The offered choice (its id) this customer message is, when they picked one instead of
    # writing: the transcript keeps what it meant, reports know it was not their own words.
    choice = models.CharField(max_length=64, blank=True)
    client_msg_id = models.CharField(max_length=64, blank=True)
    # Where this message came or went (a conversation may span channels: an email answered
    # from the portal).
    channel = models.CharField(max_length=16, choices=ConversationChannel.choices, blank=True)
    # An agents' note: never shown to the customer.
    internal = models.BooleanField(default=False)
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


@deconstructible(path="ponton.conversations.models.LocalAttachmentStorage")
class LocalAttachmentStorage(FileSystemStorage):
    """Files customers and agents attach live outside the web root (never under
    MEDIA_ROOT or STATIC_ROOT) and are only served by a view that checks who asks.

    The folder is read from settings when first used, so migrations do not
    record one machine's path.
    """

    @cached_property
    def base_location(self) -> str:
        configured = self._location  # type: ignore[attr-defined]
        return str(self._value_or_setting(configured, settings.PONTON_ATTACHMENTS_DIR))

    def _clear_cached_properties(self, setting: Any, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PONTON_ATTACHMENTS_DIR":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


@deconstructible(path="ponton.conversations.models.AttachmentStorage")
class AttachmentStorage(Storage):
    """Where attached files are kept: the storage named "attachments" in STORAGES,
    the local folder or an S3-compatible bucket (settings.py), looked up at each
    call so that the migrations record no backend and the code uses only the
    storage API (open, save, delete, exists, listdir, size), never a path."""

    @property
    def backend(self) -> Storage:
        return storages["attachments"]

    def open(self, name: str, mode: str = "rb") -> File:
        return self.backend.open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self.backend.save(name, content, max_length=max_length)

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self.backend.generate_filename(filename)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.backend.get_available_name(name, max_length=max_length)

    def get_valid_name(self, name: str) -> str:
        return self.backend.get_valid_name(name)

    def delete(self, name: str) -> None:
        self.backend.delete(name)

    def exists(self, name: str) -> bool:
        return self.backend.exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.backend.listdir(path)

    def size(self, name: str) -> int:
        return self.backend.size(name)

    def url(self, name: str | None) -> str:
        return self.backend.url(name)

    def path(self, name: str) -> str:
        return self.backend.path(name)

    def get_modified_time(self, name: str) -> datetime:
        return self.backend.get_modified_time(name)


attachment_storage = AttachmentStorage()


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=attachment_storage, upload_to="%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class SavedReply(models.Model):
    """An answer agents reuse, in one language."""

    title = models.CharField(max_length=120)
    text = models.TextField()
    language = models.CharField(max_length=2, default="fr")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


class BusinessCalendar(models.Model):
    """Opening hours and holidays: when a service level's clock runs."""

    name = models.CharField(max_length=100)
    # {"0": ["08:00", "20:00"], … "6": null}: Monday is 0, local time of TIME_ZONE.
    hours = models.JSONField(default=dict)
    is_default = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets for first response and resolution, per team and priority (blank = any)."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Sends a handoff to a team (and a skill) when its conditions match; blank matches any.

    Rules are tried by `position`; the first that matches wins. A customer's
    referent advisor, when online, comes before every rule.
    """

    position = models.PositiveSmallIntegerField(default=100)
    name = models.CharField(max_length=100)
    reason = models.CharField(max_length=32, choices=HandoffReason.choices, blank=True)
    language = models.CharField(max_length=2, blank=True)
    segment = models.SlugField(blank=True)
    channel = models.CharField(max_length=16, choices=ConversationChannel.choices, blank=True)
    # Matches the category of the article the assistant matched (the detected need).
    category = models.SlugField(blank=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction")
    CES = "ces", _("Effort")
    NPS = "nps", _("Recommendation")


class Survey(models.Model):
    """One question sent to a customer, answerable once through a signed link."""

    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=2, default="fr")
    # "selfcare" or "person": who resolved the conversation being rated.
    resolved_by = models.CharField(max_length=8, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    effort = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class CallbackStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    # Called twice without an answer: the customer was told by email.
    MISSED = "missed", _("Missed")


class Callback(models.Model):
    """A customer asked to be called back in a slot within business hours (on the portal,
    or by the keypad of the voice menu, where the caller may not be a known customer)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="callbacks",
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    phone = models.CharField(max_length=32)
    starts_at = models.DateTimeField()
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=CallbackStatus.choices, default=CallbackStatus.REQUESTED
    )
    # Calls that did not reach the customer; after the first, it is due again at `retry_at`.
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.phone} {self.starts_at:%Y-%m-%d %H:%M}"


class OutboxPush(models.Model):
    """A realtime push written in the same transaction as the change it announces, and
    deleted once published: a process that dies between the commit and the publish leaves
    the row behind, and the sweep publishes it later. A push is delayed, never lost."""

    # [[group, event], ...]; each event keeps its id, so a page hearing it twice says it once.
    sends = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"push #{self.pk} ({len(self.sends)} group(s))"


class IdempotentRequest(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`: an agent's page or an
    integration that retries after a timeout gets the same answer, and the write happens
    once. Stored in the write's transaction; kept a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    # What was asked (method, path, body): the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status}"
