from __future__ import annotations

from django.conf import settings
from django.db import models


class SessionFact(models.Model):
    """What one settled journey session did, as the measured quantities see it.

    A rollup of the journey log, never a source of truth: built from the
    events by the same code that computes the KPIs directly, so both paths
    give identical figures. Only finished sessions are rolled up; the one fact
    that can still change afterwards, a contact within 72 hours, is brought up
    to date from the contacts logged since (`RollupState.last_event_id`).
    """

    session_id = models.UUIDField(primary_key=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    channel = models.CharField(max_length=16)
    language = models.CharField(max_length=2, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    visitor_id = models.CharField(max_length=36, blank=True)
    events = models.PositiveIntegerField(default=0)
    searched = models.BooleanField(default=False)
    read_article = models.BooleanField(default=False)
    used_assistant = models.BooleanField(default=False)
    used_voice_menu = models.BooleanField(default=False)
    selfcare_attempt = models.BooleanField(default=False)
    resolved = models.BooleanField(default=False)
    escalated = models.BooleanField(default=False)
    handed_off = models.BooleanField(default=False)
    selfcare_at = models.DateTimeField(null=True, blank=True)
    followed_by_contact = models.BooleanField(
        default=False, help_text="A ticket or handoff within 72 h of the first selfcare event."
    )
    # Exact integers, so sums are the same in SQL and in Python.
    microseconds_to_escalation = models.BigIntegerField(default=0)
    handoffs = models.PositiveIntegerField(default=0)
    wall_handoffs = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["started_at"], name="fact_started"),
            models.Index(
                fields=["selfcare_at"],
                name="fact_open_follow_up",
                condition=models.Q(selfcare_attempt=True, followed_by_contact=False),
            ),
            models.Index(fields=["channel", "started_at"], name="fact_channel_started"),
            models.Index(fields=["language", "started_at"], name="fact_language_started"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.started_at:%Y-%m-%d %H:%M}"


class SessionConversation(models.Model):
    """A conversation that took place in a rolled-up session (for the team filter).

    The rollup deletes a batch's links itself, in one statement, before its facts:
    a cascade would read every fact of the batch and delete their links by a list
    of ids as long as the batch."""

    session = models.ForeignKey(SessionFact, on_delete=models.DO_NOTHING, related_name="links")
    conversation_id = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.session_id} #{self.conversation_id}"


class RollupState(models.Model):
    """How far the session rollup goes: the sessions that started before
    `rolled_until`, with the contacts logged up to event `last_event_id`.

    The rollup's cursor: each batch moves it in the transaction that writes the
    batch, so a run that dies resumes where it stopped. `now - rolled_until` is
    how far behind the figures are (the supervision page shows it)."""

    name = models.CharField(max_length=32, unique=True, default="sessions")
    rolled_until = models.DateTimeField(null=True, blank=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} until {self.rolled_until}"
