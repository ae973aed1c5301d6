"""Components, incidents and maintenance, their public updates, who hears about them, and
which contacts they caused.

An incident is told to customers before they have to ask: on the status page, in a banner
on every customer page, by the assistant, and by email to those who asked or are
affected. The contacts it still causes are linked to it, so agents can answer them
together and insights can count them apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Impact(models.TextChoices):
    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    MAINTENANCE = "maintenance", _("Maintenance")


# A component's state is the worst impact touching it, or this when nothing does.
OPERATIONAL = "operational"
# From the least to the most serious: a component shows the last one that applies.
SEVERITY = [
    OPERATIONAL,
    Impact.MAINTENANCE,
    Impact.DEGRADED,
    Impact.PARTIAL_OUTAGE,
    Impact.MAJOR_OUTAGE,
]


class Phase(models.TextChoices):
    """Where the work on an incident stands, as its public updates say."""

    SCHEDULED = "scheduled", _("Scheduled")
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    MAINTENANCE = "maintenance", _("Scheduled maintenance")


class Component(models.Model):
    """Something customers use and can see broken: a service, a region, a product.

    `keywords` are the words customers use for it (both languages), so a message about
    it is recognised; `modules` are the customer modules that rely on it (empty: every
    customer), so a banner does not worry customers it cannot touch."""

    slug = models.SlugField(unique=True)
    name_fr = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120, blank=True)
    keywords = models.TextField(
        blank=True, help_text="Words customers use for it, comma-separated, French and English."
    )
    modules = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name_fr"]

    def __str__(self) -> str:
        return self.name_fr

    def name(self, lang: str) -> str:
        return (self.name_en if lang == "en" else self.name_fr) or self.name_fr


class Incident(models.Model):
    """Something wrong (or, `kind` maintenance, planned) on some components, told in French
    and English; targeted at some plans or segments when it concerns only them."""

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INCIDENT)
    title_fr = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    impact = models.CharField(max_length=16, choices=Impact.choices, default=Impact.DEGRADED)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.INVESTIGATING)
    components = models.ManyToManyField(Component, related_name="incidents", blank=True)
    plans = models.JSONField(default=list, blank=True)
    segments = models.JSONField(default=list, blank=True)
    # Email the customers of the affected plans and segments when it starts and ends.
    notify_affected = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    declared_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    next_update_at = models.DateTimeField(null=True, blank=True)
    # Maintenance: the announced window (the banner shows it from a day before).
    scheduled_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["resolved_at", "started_at"], name="incident_open")]

    def __str__(self) -> str:
        return self.title_fr or self.title_en

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else self.title_fr) or self.title_fr or self.title_en

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class IncidentUpdate(models.Model):
    """One public step of an incident: what is known now, and when to expect the next word."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    message_fr = models.TextField(blank=True)
    message_en = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.phase} {self.created_at:%Y-%m-%d %H:%M}"

    def message(self, lang: str) -> str:
        return (
            (self.message_en if lang == "en" else self.message_fr)
            or self.message_fr
            or self.message_en
        )


class IncidentContact(models.Model):
    """A conversation opened (or a message written) about an incident: counted, set apart
    in the inbox during a surge, answerable and solvable together."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="contacts")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=16)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "conversation"], name="one_contact_per_conversation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} #{self.conversation_id}"


class Subscription(models.Model):
    """Someone who asked to hear, by email, about one incident or one component."""

    email = models.EmailField()
    language = models.CharField(max_length=2, default="fr")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "incident", "component"], name="one_subscription_per_topic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.incident_id or ''}{self.component_id or ''}"


class Notice(models.Model):
    """One email about one update to one address: at most once (the unique pair), whatever
    retries the task queue makes."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="notices")
    email = models.EmailField()
    language = models.CharField(max_length=2, default="fr")
    # Why they hear of it: they subscribed, or they are affected (proactive notice).
    proactive = models.BooleanField(default=False)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "email"], name="one_notice_per_update")
        ]

    def __str__(self) -> str:
        return f"{self.update_id} → {self.email}"


class NoticeOptOut(models.Model):
    """An address that asked never to receive proactive incident notices."""

    email = models.EmailField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email
