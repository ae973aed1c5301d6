"""What the phone channel remembers: each call, and the agents' own lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CallSource(models.TextChoices):
    MENU = "menu", _("Voice menu")
    PHONE_SYSTEM = "pbx", _("Phone system")
    CALLBACK = "callback", _("Callback")


class CallStatus(models.TextChoices):
    IN_MENU = "in_menu", _("In the voice menu")
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("In progress")
    ENDED = "ended", _("Ended")


class Outcome(models.TextChoices):
    RESOLVED_IN_MENU = "resolved_in_menu", _("Resolved in the voice menu")
    TO_PERSON = "to_person", _("Put through to a person")
    ANSWERED = "answered", _("Answered")
    CALLBACK_BOOKED = "callback_booked", _("Callback booked")
    VOICE_MESSAGE = "voice_message", _("Voice message left")
    MISSED = "missed", _("Missed")
    ABANDONED = "abandoned", _("Hung up in the menu")


class Call(models.Model):
    """One phone call, in or out, keyed by the provider's or phone system's call id.

    The voice menu's position lives here between webhooks (several app processes
    serve them, so nothing is kept in memory); the call record (who answered, how
    long, how it ended) is what the conversation and the journey show.
    """

    sid = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=8, choices=CallSource.choices)
    inbound = models.BooleanField(default=True)
    from_number = models.CharField(max_length=40, blank=True)
    to_number = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    callback = models.ForeignKey(
        "conversations.Callback",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    language = models.CharField(max_length=2, default="fr")
    # The voice menu: the step the caller's next answer belongs to, how many prompts went
    # unanswered, and what the digits of the last prompt stand for.
    step = models.CharField(max_length=16, blank=True)
    misses = models.PositiveSmallIntegerField(default=0)
    choices = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=CallStatus.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # As the phone system named the agent (a username or an extension).
    agent_ref = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ringing_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # A link to the provider's or phone system's recording: never fetched, never copied,
    # and forgotten after PONTON_RECORDING_RETENTION_DAYS.
    recording_url = models.URLField(max_length=500, blank=True)
    recording_purged_at = models.DateTimeField(null=True, blank=True)
    # The agent's wrap-up: why the customer called (a help-center category or "other").
    reason = models.SlugField(max_length=64, blank=True)
    wrapped_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "status"], name="call_agent_status"),
            models.Index(
                fields=["ended_at"],
                name="call_recording_to_purge",
                condition=~models.Q(recording_url=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sid} {self.from_number} → {self.to_number}"


class AgentLine(models.Model):
    """Where an agent takes calls: a number or a SIP address the voice menu dials, and the
    extension the phone system names them by in its events."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_line"
    )
    number = models.CharField(max_length=40, blank=True)
    sip = models.CharField(max_length=200, blank=True, help_text="sip:karim@pbx.example.com")
    extension = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extension"],
                condition=~models.Q(extension=""),
                name="one_agent_per_extension",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.number or self.sip or self.extension}"
