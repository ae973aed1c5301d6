from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class EventKind(models.TextChoices):
    PAGE_VIEW = "page_view"
    SEARCH = "search"
    SEARCH_CLICK = "search_click"
    ARTICLE_VIEW = "article_view"
    ARTICLE_FEEDBACK = "article_feedback"
    CONTACT_REQUEST = "contact_request"
    MESSAGE = "message"
    ASSISTANT_TURN = "assistant_turn"
    HANDOFF = "handoff"
    SELFCARE_RESOLVED = "selfcare_resolved"
    SELFCARE_NOT_RESOLVED = "selfcare_not_resolved"
    SELFCARE_ACTION = "selfcare_action"
    ASSIGNMENT = "assignment"
    HAND_BACK = "hand_back"
    MERGE = "merge"
    STATUS_CHANGE = "status_change"
    SURVEY_ANSWER = "survey_answer"
    CALLBACK_REQUEST = "callback_request"
    SLA_BREACH = "sla_breach"
    PREFERENCES_CHANGE = "preferences_change"
    # A message about an open incident (ponton.status), and a page that showed its notice.
    INCIDENT_CONTACT = "incident_contact"
    INCIDENT_NOTICE_SEEN = "incident_notice_seen"
    # The phone: a step of the voice menu, and a call's record once it ended.
    VOICE_MENU = "voice_menu"
    CALL = "call"


class JourneyEvent(models.Model):
    """One thing a customer or an anonymous visitor did, on any channel.

    Every measured quantity is computed from this log. `session_id` is fixed
    when the event is written: the session of the visitor's previous event if
    that came less than 30 minutes before, a new one otherwise.
    """

    occurred_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=32)
    session_id = models.UUIDField(default=uuid.uuid4)
    visitor_id = models.CharField(max_length=36, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journey_events",
    )
    channel = models.CharField(max_length=16, default="web")
    language = models.CharField(max_length=2, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["visitor_id", "occurred_at"], name="journey_visitor_time"),
            models.Index(fields=["customer", "occurred_at"], name="journey_customer_time"),
            models.Index(fields=["kind", "occurred_at"], name="journey_kind_time"),
            models.Index(fields=["session_id"], name="journey_session"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind}"
