from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


# The roles that work conversations.
STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


class Language(models.TextChoices):
    FR = "fr", "Français"
    EN = "en", "English"


class Skill(models.Model):
    """Something an agent knows how to handle (billing, fibre, business suite)."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of agents who share a queue and a scope of conversations."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    skills = models.ManyToManyField(Skill, blank=True, related_name="teams")

    def __str__(self) -> str:
        return self.name


class Availability(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class User(AbstractUser):
    """Everyone who signs in: customers and the support staff who serve them."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.FR)
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents")
    # Agents only: whether they take conversations now, and how many at once.
    availability = models.CharField(
        max_length=8, choices=Availability.choices, default=Availability.OFFLINE
    )
    capacity = models.PositiveSmallIntegerField(default=4)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Languages an agent serves customers in (empty: their own `language`).
    languages = models.JSONField(default=list, blank=True)
    # Round-robin: the agent given a conversation longest ago is next.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    @property
    def served_languages(self) -> list[str]:
        return list(self.languages) or [self.language]

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_agent(self) -> bool:
        """Agents, supervisors and admins all work conversations."""
        return self.role in STAFF_ROLES

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


class Channel(models.TextChoices):
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")


# Segments are free codes (a company adds its own); the usual ones have a name.
SEGMENT_LABELS = {
    "residential": _("Residential"),
    "business": _("Business"),
    "professional": _("Professional"),
    "enterprise": _("Enterprise"),
    "public": _("Public sector"),
}


def segment_label(segment: str) -> str:
    label = SEGMENT_LABELS.get(segment)
    return str(label) if label is not None else segment.replace("-", " ").replace("_", " ")


class CustomerProfile(models.Model):
    """What we know of a customer to target content and respect their choices.

    Plan, modules and segment decide which articles they see; preferences and
    the referent advisor are honoured by routing and by the assistant.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    customer_number = models.CharField(max_length=20, blank=True)
    plan = models.SlugField(blank=True)
    modules = models.JSONField(default=list, blank=True)
    segment = models.SlugField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    prefers_person = models.BooleanField(default=False)
    preferred_channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.CHAT
    )
    accessibility_needs = models.TextField(blank=True)
    referent_advisor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_customers",
        limit_choices_to={"role__in": [Role.AGENT, Role.SUPERVISOR]},
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.plan or '-'})"


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")
    ADMIN = "admin", _("Administration")


def default_scopes() -> list[str]:
    return [TokenScope.READ.value, TokenScope.WRITE.value]


class ApiToken(models.Model):
    """A bearer token for an integration or an agent's tools; only its hash is stored.

    It reads with the `read` scope, changes things with `write`, and reaches
    administration operations with `admin`; it stops working at `expires_at`,
    when revoked, and when its owner's password changes.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=default_scopes)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
