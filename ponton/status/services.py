"""Incidents and maintenance: declaring them, their public updates, who is concerned, and
recognising the messages they cause.

    incident = declare_incident(IncidentFields(title_fr=…, message_fr=…, impact=…,
                                               components=[…]), by=supervisor)
    post_update(incident, phase="resolved", message_fr=…, by=supervisor)
    live = incident_for(text, customer)        # any channel: is this message about one?
    count_contact(live, conversation)          # it is: count it, link it

What customer pages show is read from a small snapshot of the live incidents kept in the
cache (`live_incidents`), dropped on every change, so a help-center page costs no query
for it on a normal day and one during an incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ponton.conversations.events import record_conversation_event
from ponton.conversations.models import Conversation
from ponton.journeys.models import EventKind
from ponton.knowledge.text import stem, words
from ponton.status.models import (
    OPERATIONAL,
    SEVERITY,
    Component,
    Impact,
    Incident,
    IncidentContact,
    IncidentUpdate,
    Kind,
    NoticeOptOut,
    Phase,
    Subscription,
)
from ponton.tasks.services import enqueue
from ponton.webhooks import payloads
from ponton.webhooks.services import emit

CACHE_KEY = "status:live:v1"
CACHE_SECONDS = 60  # a maintenance window opens or closes on its own: re-read once a minute
MAINTENANCE_NOTICE = timedelta(hours=24)  # a maintenance shows in banners a day before
UNSUBSCRIBE_SALT = "ponton.status.unsubscribe"
LANGS = ("fr", "en")
# Words that say "something is broken" without naming what: a message with one of them is
# about the incident when only one concerns the customer.
OUTAGE_CUES = frozenset(
    {
        "panne",
        "pannes",
        "coupure",
        "coupures",
        "coupe",
        "coupee",
        "incident",
        "perturbation",
        "perturbations",
        "perturbe",
        "outage",
        "down",
        "broken",
        "interruption",
        "hs",
    }
)


# The snapshot -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveUpdate:
    phase: str
    messages: dict[str, str]
    at: datetime

    def message(self, lang: str) -> str:
        return self.messages.get(lang) or self.messages.get("fr") or self.messages.get("en", "")


@dataclass(frozen=True)
class LiveIncident:
    """An open incident, or a maintenance announced or under way, as customer pages,
    the assistant and the API see it (plain values: it lives in the cache)."""

    id: int
    kind: str
    titles: dict[str, str]
    impact: str
    phase: str
    component_ids: tuple[int, ...]
    component_names: dict[str, tuple[str, ...]]
    # Stemmed words naming its components, per stemming language (message recognition).
    terms: dict[str, tuple[tuple[str, ...], ...]]
    plans: frozenset[str]
    segments: frozenset[str]
    modules: frozenset[str] | None  # None: its components concern every customer
    started_at: datetime
    next_update_at: datetime | None
    scheduled_until: datetime | None
    updates: tuple[LiveUpdate, ...]
    contacts: int
    crisis: bool

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("fr") or self.titles.get("en", "")

    def latest(self, lang: str) -> str:
        return self.updates[-1].message(lang) if self.updates else ""

    @property
    def is_maintenance(self) -> bool:
        return self.kind == Kind.MAINTENANCE

    def in_progress(self, now: datetime) -> bool:
        """An incident always; a maintenance inside its window."""
        if not self.is_maintenance:
            return True
        return self.started_at <= now and (
            self.scheduled_until is None or now < self.scheduled_until
        )

    def shown(self, now: datetime) -> bool:
        """Banners carry it: an incident, or a maintenance from a day before to its end."""
        if not self.is_maintenance:
            return True
        return self.started_at - MAINTENANCE_NOTICE <= now and (
            self.scheduled_until is None or now < self.scheduled_until
        )

    def concerns(self, customer: Any) -> bool:
        """Whether it can touch this customer: everyone we know nothing about (visitors,
        staff) may be concerned; a customer only through their plan, segment and modules."""
        profile = getattr(customer, "profile", None) if _is_customer(customer) else None
        if profile is None:
            return True
        if self.plans and profile.plan not in self.plans:
            return False
        if self.segments and profile.segment not in self.segments:
            return False
        return self.modules is None or bool(self.modules & set(profile.modules or []))


def _is_customer(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_customer)


def _terms_of(texts: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Each phrase as its stemmed words, in both stemmers (customers write in either)."""
    phrases = [p.strip() for text in texts for p in text.split(",") if p.strip()]
    return {
        lang: tuple(
            stems for phrase in phrases if (stems := tuple(stem(w, lang) for w in words(phrase)))
        )
        for lang in LANGS
    }


def _snapshot(incident: Incident, contacts: int) -> LiveIncident:
    components = list(incident.components.all())
    module_sets = [set(c.modules or []) for c in components]
    modules = (
        None
        if not components or any(not m for m in module_sets)
        else frozenset().union(*module_sets)
    )
    return LiveIncident(
        id=incident.pk,
        kind=incident.kind,
        titles={"fr": incident.title_fr, "en": incident.title_en},
        impact=incident.impact,
        phase=incident.phase,
        component_ids=tuple(c.pk for c in components),
        component_names={lang: tuple(c.name(lang) for c in components) for lang in LANGS},
        terms=_terms_of(
            [text for c in components for text in (c.name_fr, c.name_en, c.keywords) if text]
        ),
        plans=frozenset(incident.plans or []),
        segments=frozenset(incident.segments or []),
        modules=modules,
        started_at=incident.started_at,
        next_update_at=incident.next_update_at,
        scheduled_until=incident.scheduled_until,
        updates=tuple(
            LiveUpdate(u.phase, {"fr": u.message_fr, "en": u.message_en}, u.created_at)
            for u in incident.updates.all()
        ),
        contacts=contacts,
        crisis=contacts >= settings.PONTON_CRISIS_THRESHOLD,
    )


def _read_live() -> list[LiveIncident]:
    incidents = (
        Incident.objects.filter(resolved_at__isnull=True)
        .prefetch_related("components", "updates")
        .order_by("started_at", "pk")
    )
    counts = dict(
        IncidentContact.objects.filter(incident__resolved_at__isnull=True)
        .values("incident")
        .annotate(n=Count("pk"))
        .values_list("incident", "n")
    )
    return [_snapshot(i, counts.get(i.pk, 0)) for i in incidents]


def live_incidents(now: datetime | None = None) -> list[LiveIncident]:
    """The open incidents and the maintenance not yet over, oldest first (cached)."""
    snapshot = cache.get(CACHE_KEY)
    if snapshot is None:
        snapshot = _read_live()
        cache.set(CACHE_KEY, snapshot, CACHE_SECONDS)
    now = now or timezone.now()
    return [i for i in snapshot if i.scheduled_until is None or now < i.scheduled_until]


def forget_live() -> None:
    """Drop the snapshot once the change that makes it stale is committed."""
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def banners_for(customer: Any, now: datetime | None = None) -> list[LiveIncident]:
    """What a customer page shows: the incidents and near maintenance that concern them."""
    now = now or timezone.now()
    return [i for i in live_incidents(now) if i.shown(now) and i.concerns(customer)]


def crisis(now: datetime | None = None) -> list[LiveIncident]:
    """The open incidents whose contacts passed the crisis threshold."""
    return [i for i in live_incidents(now) if i.crisis and not i.is_maintenance]


# Recognising messages ------------------------------------------------------------------


def _mentions(incident: LiveIncident, text: str) -> bool:
    folded = words(text)
    for lang in LANGS:
        stems = {stem(w, lang) for w in folded}
        if any(all(s in stems for s in phrase) for phrase in incident.terms.get(lang, ())):
            return True
    return False


def incident_for(
    text: str, customer: Any = None, *, now: datetime | None = None
) -> LiveIncident | None:
    """The open incident a customer's message is about, if any: one whose components it
    names, or, when it only says something is broken, the one incident that concerns them.

    Any channel calls it (chat, email, phone, messaging); nothing is written."""
    now = now or timezone.now()
    candidates = [i for i in live_incidents(now) if i.in_progress(now) and i.concerns(customer)]
    if not candidates:
        return None
    named = [i for i in candidates if _mentions(i, text)]
    if named:
        return max(named, key=lambda i: SEVERITY.index(i.impact))
    if len(candidates) == 1 and OUTAGE_CUES & set(words(text)):
        return candidates[0]
    return None


def count_contact(incident: LiveIncident | Incident, conversation: Conversation) -> bool:
    """Link a conversation to the incident it is about and log it in the journey (once per
    conversation); False when it was already counted."""
    try:
        with transaction.atomic():
            IncidentContact.objects.create(
                incident_id=incident.id if isinstance(incident, LiveIncident) else incident.pk,
                conversation=conversation,
                channel=conversation.channel,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return False
    incident_id = incident.id if isinstance(incident, LiveIncident) else incident.pk
    record_conversation_event(conversation, EventKind.INCIDENT_CONTACT, incident=incident_id)
    contacts = IncidentContact.objects.filter(incident_id=incident_id).count()
    if contacts == settings.PONTON_CRISIS_THRESHOLD:
        forget_live()  # crisis mode starts now on every page
    return True


def contacts_since(since: datetime) -> dict[int, int]:
    """Contacts per open incident since `since` (how fast they come)."""
    return dict(
        IncidentContact.objects.filter(incident__resolved_at__isnull=True, created_at__gte=since)
        .values("incident")
        .annotate(n=Count("pk"))
        .values_list("incident", "n")
    )


def already_told(incident: LiveIncident, conversation: Conversation) -> bool:
    return IncidentContact.objects.filter(
        incident_id=incident.id, conversation=conversation
    ).exists()


def notice_for_conversation(conversation: Conversation, lang: str) -> dict[str, str] | None:
    """The notice of the open incident a conversation is about, if any (an acknowledgement
    written after it was recognised)."""
    linked = set(
        IncidentContact.objects.filter(conversation=conversation).values_list(
            "incident_id", flat=True
        )
    )
    incident = next((i for i in live_incidents() if i.id in linked), None)
    if incident is None:
        return None
    return {
        "text": notice_text(incident, lang),
        "status_url": settings.SITE_URL.rstrip("/") + reverse("status:page"),
    }


def incident_signal(incident: LiveIncident, lang: str) -> dict[str, Any]:
    """The incident as the context packet shows it among the signals of a handoff."""
    return {
        "kind": "incident",
        "score": 1.0,
        "evidence": [incident.title(lang)],
        "incident": incident.id,
    }


def next_update_text(incident: LiveIncident, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if incident.is_maintenance:
        if incident.scheduled_until is None:
            return ""
        return _("Planned from %(start)s to %(end)s.") % {
            "start": formats.date_format(timezone.localtime(incident.started_at), "l j F, H:i"),
            "end": formats.date_format(timezone.localtime(incident.scheduled_until), "l j F, H:i"),
        }
    due = incident.next_update_at
    if due is None:
        return ""
    if due <= now:
        return _("Next update very soon.")
    return _("Next update by %(time)s.") % {
        "time": formats.time_format(timezone.localtime(due), "H:i")
    }


def notice_text(incident: LiveIncident, lang: str, now: datetime | None = None) -> str:
    """What is known, in a few sentences: the assistant's notice, an acknowledgement's."""
    parts = [
        _("We know about it: %(title)s.") % {"title": incident.title(lang).rstrip(".")},
        incident.latest(lang),
        next_update_text(incident, now),
    ]
    return " ".join(p for p in parts if p)


# Declaring and updating ----------------------------------------------------------------------


@dataclass
class IncidentFields:
    """A new incident or maintenance as a supervisor or the API describes it."""

    title_fr: str = ""
    title_en: str = ""
    message_fr: str = ""
    message_en: str = ""
    impact: str = Impact.DEGRADED
    components: list[Any] = field(default_factory=list)  # ids, slugs or names
    plans: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    notify_affected: bool = False
    started_at: datetime | None = None
    next_update_minutes: int | None = None
    # Maintenance: its window.
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None


def find_components(references: list[Any]) -> list[Component]:
    """Components by id, slug or name (either language); a clear error for any unknown."""
    found: list[Component] = []
    unknown: list[str] = []
    for reference in references:
        text = str(reference).strip()
        component = (
            Component.objects.filter(pk=int(text)).first() if text.isdigit() else None
        ) or next(
            (
                c
                for c in Component.objects.all()
                if text.lower() in (c.slug.lower(), c.name_fr.lower(), c.name_en.lower())
            ),
            None,
        )
        if component is None:
            unknown.append(text)
        elif component not in found:
            found.append(component)
    if unknown:
        raise ValidationError(
            {"components": _("Unknown components: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    return found


def _clean_texts(fields: IncidentFields) -> None:
    errors: dict[str, str] = {}
    if not (fields.title_fr.strip() or fields.title_en.strip()):
        errors["title"] = _("Give the incident a title, in French or English.")
    if not (fields.message_fr.strip() or fields.message_en.strip()):
        errors["message"] = _("Say what customers should know, in French or English.")
    if errors:
        raise ValidationError(errors)


def _next_update(now: datetime, minutes: int | None) -> datetime:
    return now + timedelta(minutes=minutes or settings.PONTON_INCIDENT_UPDATE_MINUTES)


@transaction.atomic
def declare_incident(fields: IncidentFields, *, by: Any, now: datetime | None = None) -> Incident:
    """Open an incident with its first public update (investigating): every customer page
    carries it from the commit on; affected customers and the components' subscribers are
    emailed when `notify_affected` says so or they asked."""
    now = now or timezone.now()
    _clean_texts(fields)
    if fields.impact not in (Impact.DEGRADED, Impact.PARTIAL_OUTAGE, Impact.MAJOR_OUTAGE):
        raise ValidationError(
            {"impact": _("The impact is degraded, partial_outage or major_outage.")}
        )
    components = find_components(fields.components)
    if not components:
        raise ValidationError({"components": _("Choose at least one affected component.")})
    started = min(fields.started_at or now, now)
    incident = Incident.objects.create(
        kind=Kind.INCIDENT,
        title_fr=fields.title_fr.strip()[:200],
        title_en=fields.title_en.strip()[:200],
        impact=fields.impact,
        phase=Phase.INVESTIGATING,
        plans=[p.strip() for p in fields.plans if p.strip()],
        segments=[s.strip() for s in fields.segments if s.strip()],
        notify_affected=fields.notify_affected,
        started_at=started,
        declared_at=now,
        next_update_at=_next_update(now, fields.next_update_minutes),
        created_by=by if getattr(by, "pk", None) else None,
    )
    incident.components.set(components)
    first = _add_update(
        incident,
        phase=Phase.INVESTIGATING,
        message_fr=fields.message_fr,
        message_en=fields.message_en,
        by=by,
        now=now,
    )
    emit("incident.opened", payloads.incident(incident, update=first))
    return incident


@transaction.atomic
def schedule_maintenance(
    fields: IncidentFields, *, by: Any, now: datetime | None = None
) -> Incident:
    """Announce planned work ahead: on the status page at once, in banners from a day
    before its window, over by itself at the window's end."""
    now = now or timezone.now()
    _clean_texts(fields)
    start, end = fields.scheduled_start, fields.scheduled_end
    if start is None or end is None or end <= start:
        raise ValidationError({"scheduled_end": _("A maintenance needs a start and a later end.")})
    if end <= now:
        raise ValidationError({"scheduled_end": _("This window is already over.")})
    components = find_components(fields.components)
    if not components:
        raise ValidationError({"components": _("Choose at least one affected component.")})
    incident = Incident.objects.create(
        kind=Kind.MAINTENANCE,
        title_fr=fields.title_fr.strip()[:200],
        title_en=fields.title_en.strip()[:200],
        impact=Impact.MAINTENANCE,
        phase=Phase.SCHEDULED,
        plans=[p.strip() for p in fields.plans if p.strip()],
        segments=[s.strip() for s in fields.segments if s.strip()],
        started_at=start,
        declared_at=now,
        scheduled_until=end,
        created_by=by if getattr(by, "pk", None) else None,
    )
    incident.components.set(components)
    _add_update(
        incident,
        phase=Phase.SCHEDULED,
        message_fr=fields.message_fr,
        message_en=fields.message_en,
        by=by,
        now=now,
        notify=False,
    )
    return incident


def _add_update(
    incident: Incident,
    *,
    phase: str,
    message_fr: str,
    message_en: str,
    by: Any,
    now: datetime,
    notify: bool = True,
) -> IncidentUpdate:
    update = IncidentUpdate.objects.create(
        incident=incident,
        phase=phase,
        message_fr=message_fr.strip(),
        message_en=message_en.strip(),
        created_at=now,
        created_by=by if getattr(by, "pk", None) else None,
    )
    forget_live()
    if notify:
        transaction.on_commit(
            lambda: enqueue(
                "status.send_notices", update_id=update.pk, dedupe_key=f"status-notices:{update.pk}"
            )
        )
    return update


@transaction.atomic
def post_update(
    incident: Incident,
    *,
    phase: str,
    message_fr: str = "",
    message_en: str = "",
    by: Any,
    next_update_minutes: int | None = None,
    now: datetime | None = None,
) -> IncidentUpdate:
    """A new public step of an open incident; `resolved` closes it (banners go, subscribers
    and affected customers are told)."""
    now = now or timezone.now()
    if phase not in (Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.MONITORING, Phase.RESOLVED):
        raise ValidationError(
            {"status": _("The status is investigating, identified, monitoring or resolved.")}
        )
    if not (message_fr.strip() or message_en.strip()):
        raise ValidationError(
            {"message": _("Say what customers should know, in French or English.")}
        )
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.resolved_at is not None:
        raise ValidationError(
            {"status": ValidationError(_("This incident is already resolved."), code="conflict")}
        )
    locked.phase = phase
    if phase == Phase.RESOLVED:
        locked.resolved_at = now
        locked.next_update_at = None
        if (
            locked.kind == Kind.MAINTENANCE
            and locked.scheduled_until
            and locked.scheduled_until > now
        ):
            locked.scheduled_until = max(now, locked.started_at)
    else:
        locked.next_update_at = _next_update(now, next_update_minutes)
    locked.save(update_fields=["phase", "resolved_at", "next_update_at", "scheduled_until"])
    update = _add_update(
        locked,
        phase=phase,
        message_fr=message_fr,
        message_en=message_en,
        by=by,
        now=now,
        notify=locked.kind == Kind.INCIDENT,
    )
    incident.phase, incident.resolved_at = locked.phase, locked.resolved_at
    incident.next_update_at = locked.next_update_at
    if locked.kind == Kind.INCIDENT:
        emit(
            "incident.resolved" if phase == Phase.RESOLVED else "incident.updated",
            payloads.incident(locked, update=update),
        )
    return update


# Subscriptions ---------------------------------------------------------------------------


def subscribe(
    email: str,
    *,
    incident: Incident | None = None,
    component: Component | None = None,
    language: str = "fr",
) -> Subscription:
    """Email `email` about one incident (when it is fixed) or one component (its incidents
    as they start and end); subscribing again revives an old subscription."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    if (incident is None) == (component is None):
        raise ValueError("Subscribe to one incident or one component")
    if incident is not None and incident.resolved_at is not None:
        raise ValidationError({"email": _("This incident is already resolved.")})
    subscription, created = Subscription.objects.get_or_create(
        email=email,
        incident=incident,
        component=component,
        defaults={"language": language if language in LANGS else "fr"},
    )
    if not created and subscription.unsubscribed_at is not None:
        subscription.unsubscribed_at = None
        subscription.language = language if language in LANGS else "fr"
        subscription.save(update_fields=["unsubscribed_at", "language"])
    return subscription


def subscribe_to_incident(email: str, incident_id: int, *, language: str = "fr") -> Subscription:
    """`subscribe` by the incident's id (a choice offered in a conversation)."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise ValidationError({"incident": _("This incident does not exist.")})
    return subscribe(email, incident=incident, language=language)


def unsubscribe_token(email: str, subscription: Subscription | None) -> str:
    """A link's proof that `email` may stop this subscription (or, None, proactive notices)."""
    return signing.dumps(
        {"e": email, "s": subscription.pk if subscription else None},
        salt=UNSUBSCRIBE_SALT,
        compress=True,
    )


@dataclass(frozen=True)
class Unsubscribed:
    email: str
    subscription: Subscription | None


def read_unsubscribe(token: str) -> Unsubscribed | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        return None
    subscription = None
    if isinstance(data.get("s"), int):
        subscription = Subscription.objects.filter(pk=data["s"], email=data["e"]).first()
        if subscription is None:
            return None
    return Unsubscribed(data["e"], subscription)


@transaction.atomic
def unsubscribe(target: Unsubscribed, *, now: datetime | None = None) -> None:
    """Stop that subscription, or (proactive notices) every notice to that address."""
    now = now or timezone.now()
    if target.subscription is not None:
        Subscription.objects.filter(pk=target.subscription.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
        return
    NoticeOptOut.objects.get_or_create(email=target.email)
    Subscription.objects.filter(email=target.email, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )


# Components ------------------------------------------------------------------------------


def add_component(
    *, name_fr: str, name_en: str = "", keywords: str = "", modules: list[str] | None = None
) -> Component:
    """A new service, region or product customers can see broken."""
    name_fr, name_en = name_fr.strip(), name_en.strip()
    if not (name_fr or name_en):
        raise ValidationError({"name_fr": _("Give the component a name.")})
    base = slugify(name_en or name_fr)[:40] or "component"
    slug, n = base, 2
    while Component.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    component = Component.objects.create(
        slug=slug,
        name_fr=(name_fr or name_en)[:120],
        name_en=name_en[:120],
        keywords=keywords.strip(),
        modules=[m for m in (modules or []) if m],
        position=Component.objects.count(),
    )
    forget_live()
    return component


# The status page ----------------------------------------------------------------------------


def component_states(live: list[LiveIncident], now: datetime) -> dict[int, str]:
    """Each component's state: the worst impact in progress on it, else operational."""
    states: dict[int, str] = {}
    for incident in live:
        if not incident.in_progress(now):
            continue
        for component in incident.component_ids:
            current = states.get(component, OPERATIONAL)
            if SEVERITY.index(incident.impact) > SEVERITY.index(current):
                states[component] = incident.impact
    return states


def overall(states: dict[int, str]) -> str:
    return max(states.values(), key=SEVERITY.index, default=OPERATIONAL)


def state_label(state: str) -> str:
    if state == OPERATIONAL:
        return _("Operational")
    return str(Impact(state).label)
