"""Contact reasons: why customers contacted us, grouped automatically.

A conversation's reason is, from the strongest evidence to the weakest: the
article the assistant matched (`detected_need`, then the last article it
offered); the signal that sent it to a person when that signal calls for human
judgement (fraud, legal threat, bereavement…); the article the customer read
just before contacting us in the same session; the article the assistant's
model recognises in the first message; and otherwise the theme of the
message's words. A conversation about a known incident (ponton.status) has that
incident as its reason, before all of these: incident-driven contacts stand apart
from the needs selfcare should cover. Each reason gets its volume, share (Pareto), trend,
selfcare coverage, autonomous resolution and escalation rates, and a level.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from ponton.assistant import actions as selfcare_actions
from ponton.assistant.knowledge_model import current_model
from ponton.batches import batches
from ponton.conversations.memory import recall
from ponton.conversations.models import Author, Conversation, HandoffReason, Message
from ponton.insights import themes
from ponton.insights.facts import SELFCARE_KINDS
from ponton.insights.periods import Filters, Period
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Article, ArticleTranslation, Status
from ponton.status.models import IncidentContact

REPEAT_WINDOW = timedelta(days=7)
# A conversation's own events come after its row was created; a minute of slack
# covers clocks of several app processes.
SESSION_SLACK = timedelta(minutes=1)
MODEL_CONFIDENCE = 0.6  # surer than the assistant needs to answer: a wrong group misleads
# Signals that mean the need calls for a person's judgement, whatever the words.
EXPERT_SIGNALS = frozenset(
    {
        HandoffReason.EMOTION,
        HandoffReason.SENSITIVE_SITUATION,
        HandoffReason.LEGAL,
        HandoffReason.FRAUD_SECURITY,
        HandoffReason.CRITICAL_IMPACT,
        HandoffReason.NEGOTIATION,
        HandoffReason.POLICY_TOPIC,
    }
)
EXPERT_SHARE = 0.3
SIMPLE_MAX_ESCALATION = 0.35
SIMPLE_MIN_RESOLUTION = 0.35
INTERMEDIATE_REPEATS = 0.2
FIX_SELFCARE_USE = 0.5
FIX_ESCALATION = 0.4


class Level:
    SIMPLE = "simple"
    INTERMEDIATE = "intermediate"
    EXPERT = "expert"


def level_label(level: str) -> str:
    return {
        Level.SIMPLE: _("Simple: a standard procedure"),
        Level.INTERMEDIATE: _("Intermediate: needs context"),
        Level.EXPERT: _("Expert: human judgement"),
    }[level]


@dataclass
class Contact:
    """One conversation as the reasons see it."""

    id: int
    created_at: datetime
    language: str
    owner: tuple[str, Any] | None
    text: str
    handoff_reason: str
    handed_off: bool
    resolved_in_selfcare: bool
    selfcare_before: bool
    reason: str = ""
    label: str = ""
    article: int | None = None
    how: str = ""
    incident: int | None = None


@dataclass
class ContactReason:
    key: str
    label: str
    article: int | None
    how: str
    contacts: list[Contact] = field(default_factory=list)
    previous: int = 0
    share: float = 0.0
    cumulative_share: float = 0.0
    weekly: list[int] = field(default_factory=list)
    has_article: bool = False
    has_action: bool = False
    repeats: int = 0
    incident: int | None = None  # contacts caused by a known incident, not a selfcare need

    @property
    def volume(self) -> int:
        return len(self.contacts)

    def _rate(self, count: int) -> float:
        return count / self.volume if self.volume else 0.0

    @property
    def selfcare_use_rate(self) -> float:
        return self._rate(sum(c.selfcare_before for c in self.contacts))

    @property
    def autonomous_resolution_rate(self) -> float:
        return self._rate(sum(c.resolved_in_selfcare for c in self.contacts))

    @property
    def escalation_rate(self) -> float:
        return self._rate(sum(c.handed_off for c in self.contacts))

    @property
    def expert_rate(self) -> float:
        return self._rate(sum(c.handoff_reason in EXPERT_SIGNALS for c in self.contacts))

    @property
    def repeat_rate(self) -> float:
        return self._rate(self.repeats)

    @property
    def level(self) -> str:
        if self.expert_rate >= EXPERT_SHARE:
            return Level.EXPERT
        if self.repeat_rate >= INTERMEDIATE_REPEATS:
            return Level.INTERMEDIATE
        covered = self.has_article or self.has_action
        if covered and (
            self.escalation_rate <= SIMPLE_MAX_ESCALATION
            or self.autonomous_resolution_rate >= SIMPLE_MIN_RESOLUTION
        ):
            return Level.SIMPLE
        return Level.INTERMEDIATE

    @property
    def content_to_fix(self) -> bool:
        """Customers use the selfcare for it, and still end up with a person."""
        return (
            self.incident is None
            and self.selfcare_use_rate >= FIX_SELFCARE_USE
            and self.escalation_rate >= FIX_ESCALATION
        )

    @property
    def gap(self) -> bool:
        """No article and no action: nothing to help customers alone."""
        return (
            self.incident is None
            and not self.has_article
            and not self.has_action
            and self.level != Level.EXPERT
        )

    @property
    def change(self) -> float | None:
        return (self.volume - self.previous) / self.previous if self.previous else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "article": self.article,
            "matched_by": self.how,
            "volume": self.volume,
            "previous_volume": self.previous,
            "share": self.share,
            "cumulative_share": self.cumulative_share,
            "weekly": self.weekly,
            "has_article": self.has_article,
            "has_action": self.has_action,
            "selfcare_use_rate": self.selfcare_use_rate,
            "autonomous_resolution_rate": self.autonomous_resolution_rate,
            "escalation_rate": self.escalation_rate,
            "repeat_rate": self.repeat_rate,
            "level": self.level,
            "content_to_fix": self.content_to_fix,
            "gap": self.gap,
            "incident": self.incident,
        }


def _conversations(since: datetime, until: datetime, filters: Filters) -> list[Conversation]:
    conversations = filters.conversations(
        Conversation.objects.filter(
            created_at__gte=since, created_at__lt=until, merged_into__isnull=True
        )
    )
    return list(
        conversations.only(
            "pk",
            "created_at",
            "language",
            "customer_id",
            "visitor_id",
            "email",
            "handoff_reason",
            "handed_off_at",
            "resolved_at",
            "memory__detected_need",
            "memory__offered_articles",
        ).select_related("memory")
    )


def _first_messages(ids: list[int]) -> dict[int, str]:
    first: dict[int, str] = {}
    for chunk in batches(ids):
        for conversation, body in (
            Message.objects.filter(conversation_id__in=chunk, author=Author.CUSTOMER)
            .order_by("conversation_id", "id")
            .values_list("conversation_id", "text")
        ):
            first.setdefault(conversation, body)
    return first


def _sessions_before(
    ids: list[int], *, since: datetime | None = None
) -> dict[int, tuple[int | None, bool]]:
    """For each conversation: the last article read in its session before it
    started, and whether any selfcare came before it in that session. `since`:
    when the first of them was created (their events cannot be older), so the
    log is read from there instead of from its beginning."""
    starts: dict[int, tuple[Any, datetime]] = {}
    events = JourneyEvent.objects.filter(
        kind__in=[EventKind.CONTACT_REQUEST, EventKind.MESSAGE, EventKind.HANDOFF]
    )
    if since is not None:
        events = events.filter(occurred_at__gte=since - SESSION_SLACK)
    for chunk in batches(ids):
        for session, at, data in (
            events.filter(data__conversation__in=chunk)
            .order_by("occurred_at", "id")
            .values_list("session_id", "occurred_at", "data")
        ):
            starts.setdefault(data["conversation"], (session, at))
    sessions = sorted({session for session, _at in starts.values()})
    selfcare: dict[Any, list[tuple[datetime, str, dict[str, Any]]]] = defaultdict(list)
    for chunk in batches(sessions):
        for session, at, kind, data in (
            JourneyEvent.objects.filter(session_id__in=chunk, kind__in=SELFCARE_KINDS)
            .order_by("occurred_at", "id")
            .values_list("session_id", "occurred_at", "kind", "data")
        ):
            selfcare[session].append((at, kind, data))
    found: dict[int, tuple[int | None, bool]] = {}
    for conversation, (session, started) in starts.items():
        before = [e for e in selfcare.get(session, []) if e[0] <= started]
        article = next(
            (
                e[2].get("article")
                for e in reversed(before)
                if e[1] == EventKind.ARTICLE_VIEW and isinstance(e[2].get("article"), int)
            ),
            None,
        )
        found[conversation] = (article, bool(before))
    return found


def _incidents_of(ids: list[int]) -> dict[int, tuple[int, str]]:
    """The known incident each conversation was about, if any: (id, title)."""
    found: dict[int, tuple[int, str]] = {}
    for chunk in batches(ids):
        for link in (
            IncidentContact.objects.filter(conversation_id__in=chunk)
            .select_related("incident")
            .order_by("conversation_id", "pk")
        ):
            found.setdefault(
                link.conversation_id,
                (link.incident_id, link.incident.title_fr or link.incident.title_en),
            )
    return found


def _owner(conversation: Conversation) -> tuple[str, Any] | None:
    if conversation.customer_id is not None:
        return ("customer", conversation.customer_id)
    if conversation.visitor_id:
        return ("visitor", conversation.visitor_id)
    if conversation.email:
        return ("email", conversation.email.lower())
    return None


def _article_of(conversation: Conversation) -> int | None:
    memory = recall(conversation)
    need = memory.detected_need or {}
    if isinstance(need.get("article"), int):
        return int(need["article"])
    offered = [a for a in memory.offered_articles or [] if isinstance(a, int)]
    return offered[-1] if offered else None


# Per model object: a retrained model starts with an empty memory.
_recognised_cache: weakref.WeakKeyDictionary[Any, dict[str, int | None]] = (
    weakref.WeakKeyDictionary()
)
CACHE_SIZE = 50_000


def _recognised(message: str, lang: str) -> int | None:
    """The article the assistant's model recognises surely in a message, if any
    (remembered per model: the same words are asked about again and again)."""
    model = current_model(lang) if message else None
    if model is None:
        return None
    known = _recognised_cache.setdefault(model, {})
    if message not in known:
        if len(known) >= CACHE_SIZE:
            known.clear()
        prediction = model.predict(message, k=1)
        top = prediction.top
        known[message] = (
            int(top)
            if top is not None and top.isdigit() and prediction.confidence >= MODEL_CONFIDENCE
            else None
        )
    return known[message]


def classify(conversations: list[Conversation]) -> list[Contact]:
    """Give every conversation its reason key, label and how it was found."""
    ids = [c.pk for c in conversations]
    texts = _first_messages(ids)
    sessions = _sessions_before(ids, since=min((c.created_at for c in conversations), default=None))
    incidents = _incidents_of(ids)
    contacts: list[Contact] = []
    to_theme: list[tuple[Contact, str, str]] = []
    for conversation in conversations:
        read, selfcare_before = sessions.get(conversation.pk, (None, False))
        contact = Contact(
            id=conversation.pk,
            created_at=conversation.created_at,
            language=conversation.language,
            owner=_owner(conversation),
            text=texts.get(conversation.pk, ""),
            handoff_reason=conversation.handoff_reason,
            handed_off=conversation.handed_off_at is not None,
            resolved_in_selfcare=conversation.resolved_at is not None
            and conversation.handed_off_at is None,
            selfcare_before=selfcare_before or bool(recall(conversation).offered_articles),
        )
        contacts.append(contact)
        article = _article_of(conversation)
        if conversation.pk in incidents:
            contact.incident, title = incidents[conversation.pk]
            contact.reason, contact.how = f"incident:{contact.incident}", "incident"
            contact.label = _("Incident: %(title)s") % {"title": title}
        elif article is not None:
            contact.article, contact.how = article, "assistant"
        elif conversation.handoff_reason in EXPERT_SIGNALS:
            contact.reason = f"signal:{conversation.handoff_reason}"
            contact.label = str(HandoffReason(conversation.handoff_reason).label)
            contact.how = "signal"
        elif read is not None:
            contact.article, contact.how = read, "read"
        else:
            recognised = _recognised(contact.text, conversation.language)
            if recognised is not None:
                contact.article, contact.how = recognised, "model"
            else:
                to_theme.append((contact, contact.text, conversation.language))
        if contact.article is not None:
            contact.reason = f"article:{contact.article}"
    for theme in themes.group(to_theme):
        language = theme.key.partition(":")[0].upper()
        for contact in theme.items:
            contact.reason, contact.how = f"theme:{theme.key}", "words"
            contact.label = f"{theme.label} ({language})"
    return contacts


def _titles(article_ids: set[int], lang: str) -> dict[int, str]:
    titles: dict[int, str] = {}
    for chunk in batches(sorted(article_ids)):
        for article, language, title in ArticleTranslation.objects.filter(
            article_id__in=chunk
        ).values_list("article_id", "language", "title"):
            if language == lang or article not in titles:
                titles[article] = title
    return titles


def mark_repeats(contacts: list[Contact]) -> set[int]:
    """The contacts that repeat one of the same customer, with the same reason,
    less than 7 days before."""
    last: dict[tuple[Any, str], datetime] = {}
    repeats: set[int] = set()
    for contact in sorted(contacts, key=lambda c: (c.created_at, c.id)):
        if contact.owner is None:
            continue
        key = (contact.owner, contact.reason)
        earlier = last.get(key)
        if earlier is not None and contact.created_at - earlier < REPEAT_WINDOW:
            repeats.add(contact.id)
        last[key] = contact.created_at
    return repeats


def contact_reasons(
    period: Period, filters: Filters | None = None, *, lang: str = "fr"
) -> list[ContactReason]:
    """The period's contact reasons, largest first (a Pareto)."""
    filters = filters or Filters()
    earliest = min(period.previous().since, period.since - REPEAT_WINDOW)
    contacts = classify(_conversations(earliest, period.until, filters))
    repeats = mark_repeats(contacts)
    current = [c for c in contacts if c.created_at >= period.since]
    previous_period = period.previous()
    previous_counts = Counter(
        c.reason for c in contacts if previous_period.since <= c.created_at < previous_period.until
    )
    articles = {c.article for c in current if c.article is not None}
    titles = _titles(articles, lang)
    published: set[int] = set()
    keys: dict[int, str] = {}
    for chunk in batches(sorted(articles)):
        published.update(
            ArticleTranslation.objects.filter(
                article_id__in=chunk, status=Status.PUBLISHED
            ).values_list("article_id", flat=True)
        )
        keys.update(Article.objects.filter(pk__in=chunk).values_list("pk", "key"))
    weeks = max(1, -(-(period.until - period.since).days // 7))
    reasons: dict[str, ContactReason] = {}
    for contact in current:
        reason = reasons.get(contact.reason)
        if reason is None:
            reason = reasons[contact.reason] = ContactReason(
                key=contact.reason,
                label=titles.get(contact.article, contact.label)
                if contact.article
                else contact.label,
                incident=contact.incident,
                article=contact.article,
                how=contact.how,
                weekly=[0] * weeks,
                has_article=contact.article in published,
                has_action=bool(
                    contact.article and selfcare_actions.for_article(keys.get(contact.article, ""))
                ),
            )
        reason.contacts.append(contact)
        reason.weekly[min(weeks - 1, (contact.created_at - period.since).days // 7)] += 1
        reason.repeats += contact.id in repeats
    ordered = sorted(reasons.values(), key=lambda r: (-r.volume, r.label))
    total = sum(r.volume for r in ordered)
    running = 0
    for reason in ordered:
        reason.previous = previous_counts.get(reason.key, 0)
        running += reason.volume
        reason.share = reason.volume / total
        reason.cumulative_share = running / total
    return ordered


def repeat_contact_rate(period: Period, filters: Filters | None = None) -> float | None:
    """Contacts of the period that repeat one of the same customer with the same
    reason less than 7 days before, over all the period's contacts."""
    return repeat_contact_rates([period], filters)[0]


def repeat_contact_rates(
    periods: list[Period], filters: Filters | None = None
) -> list[float | None]:
    """`repeat_contact_rate` of several periods (a period and the one before it),
    classifying each contact once."""
    filters = filters or Filters()
    if not periods:
        return []
    since = min(p.since for p in periods) - REPEAT_WINDOW
    contacts = classify(_conversations(since, max(p.until for p in periods), filters))
    repeats = mark_repeats(contacts)
    rates: list[float | None] = []
    for period in periods:
        current = [c for c in contacts if period.since <= c.created_at < period.until]
        rates.append(sum(c.id in repeats for c in current) / len(current) if current else None)
    return rates


def reasons_without_selfcare(reasons: list[ContactReason]) -> list[ContactReason]:
    return [r for r in reasons if r.gap]
