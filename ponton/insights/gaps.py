"""What the knowledge base is missing, and the articles that need care.

Gaps come from the journey log: searches with no result, searches where the
customer clicked nothing, and messages the assistant could not answer
(out of scope, low confidence) or failed to solve; they are grouped into
themes. Content health lists articles that readers said did not help and
articles past their review date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from ponton.batches import batches
from ponton.conversations.models import Author, Message
from ponton.insights import themes
from ponton.insights.periods import Period
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Article, ArticleTranslation, Feedback
from ponton.knowledge.text import fold

MAX_THEMES = 40
NEGATIVE_MIN = 2
NEGATIVE_SHARE = 0.4


class Source:
    NO_RESULT = "no_result"
    NO_CLICK = "no_click"
    ASSISTANT = "assistant"


@dataclass
class Gap:
    """A theme customers asked about and did not find."""

    key: str
    label: str
    language: str
    count: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    wordings: list[tuple[str, int]] = field(default_factory=list)
    # Every language it was asked in (`language`: the most frequent, for its draft).
    languages: list[str] = field(default_factory=list)

    @property
    def weight(self) -> int:
        """Nothing found, or the assistant stuck, says more than a search left unclicked."""
        return 2 * (self.count - self.sources.get(Source.NO_CLICK, 0)) + self.sources.get(
            Source.NO_CLICK, 0
        )

    @property
    def questions(self) -> list[str]:
        return [w for w, _n in self.wordings[:10]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme": self.label,
            "language": self.language,
            "languages": ",".join(self.languages or [self.language]),
            "count": self.count,
            **{f"from_{k}": v for k, v in sorted(self.sources.items())},
            "wordings": "; ".join(f"{w} ({n})" for w, n in self.wordings[:10]),
        }


@dataclass
class Unanswered:
    text: str
    language: str
    source: str


def _searches(period: Period) -> list[Unanswered]:
    rows = list(
        JourneyEvent.objects.filter(
            kind__in=[EventKind.SEARCH, EventKind.SEARCH_CLICK, EventKind.ARTICLE_VIEW],
            occurred_at__gte=period.since,
            occurred_at__lt=period.until,
        )
        .order_by("session_id", "occurred_at", "id")
        .values_list("session_id", "kind", "language", "data")
    )
    found: list[Unanswered] = []
    pending: dict[Any, tuple[str, str] | None] = {}
    for session, kind, language, data in rows:
        if kind == EventKind.SEARCH:
            query = str(data.get("query", "")).strip()
            if not query:
                continue
            if not data.get("results"):
                found.append(Unanswered(query, language or "fr", Source.NO_RESULT))
                pending[session] = None
                continue
            previous = pending.get(session)
            if previous is not None:
                found.append(Unanswered(previous[0], previous[1], Source.NO_CLICK))
            pending[session] = (query, language or "fr")
        elif pending.get(session) is not None:
            pending[session] = None  # they clicked or read something after searching
    found += [Unanswered(q, lang, Source.NO_CLICK) for q, lang in filter(None, pending.values())]
    return found


def _assistant_misses(period: Period) -> list[Unanswered]:
    """The customer messages the assistant answered with "I don't know"."""
    turns = list(
        JourneyEvent.objects.filter(
            kind=EventKind.ASSISTANT_TURN,
            occurred_at__gte=period.since,
            occurred_at__lt=period.until,
            data__decision="unknown",
        ).values_list("occurred_at", "language", "data")
    )
    conversations = sorted(
        {c for _at, _lang, d in turns if isinstance(c := d.get("conversation"), int)}
    )
    messages: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for chunk in batches(conversations):
        for conversation, at, text in (
            Message.objects.filter(conversation_id__in=chunk, author=Author.CUSTOMER, choice="")
            .order_by("id")
            .values_list("conversation_id", "created_at", "text")
        ):
            messages[conversation].append((at, text))
    found = []
    for at, language, data in turns:
        before = [t for when, t in messages.get(data.get("conversation"), []) if when <= at]
        if before:
            found.append(Unanswered(before[-1], language or "fr", Source.ASSISTANT))
    return found


def gaps(period: Period, *, language: str = "") -> list[Gap]:
    """Themes of what customers looked for and did not find, largest first."""
    unanswered = _searches(period) + _assistant_misses(period)
    if language:
        unanswered = [u for u in unanswered if u.language == language]
    found = []
    for theme in themes.group((u, u.text, u.language) for u in unanswered):
        if theme.key.endswith(f":{themes.UNSTATED}"):
            continue
        sources: dict[str, int] = defaultdict(int)
        for item in theme.items:
            sources[item.source] += 1
        found.append(
            Gap(
                key=theme.key,
                label=theme.label,
                language=theme.items[0].language,
                count=theme.size,
                sources=dict(sources),
                wordings=theme.wordings.most_common(),
                languages=[theme.items[0].language],
            )
        )
    return sorted(_one_per_label(found), key=lambda g: (-g.weight, g.label))[:MAX_THEMES]


def _one_per_label(found: list[Gap]) -> list[Gap]:
    """Themes are grouped per language (their drafts are); the same words asked in
    French and in English ("sso saml entra id") are still one theme to read."""
    merged: dict[str, Gap] = {}
    for gap in sorted(found, key=lambda g: -g.count):
        key = " ".join(fold(gap.label).split())
        first = merged.get(key)
        if first is None:
            merged[key] = gap
            continue
        first.count += gap.count
        for source, n in gap.sources.items():
            first.sources[source] = first.sources.get(source, 0) + n
        wordings: dict[str, int] = dict(first.wordings)
        for wording, n in gap.wordings:
            wordings[wording] = wordings.get(wording, 0) + n
        first.wordings = sorted(wordings.items(), key=lambda w: -w[1])
        first.languages += [lang for lang in gap.languages if lang not in first.languages]
    return list(merged.values())


@dataclass
class ArticleHealth:
    article: Article
    title: str
    language: str
    helpful: int = 0
    not_helpful: int = 0
    not_solved: int = 0
    comments: list[str] = field(default_factory=list)

    @property
    def negative_share(self) -> float:
        total = self.helpful + self.not_helpful
        return self.not_helpful / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "article": self.article.key,
            "title": self.title,
            "language": self.language,
            "owner": self.article.owner.get_username() if self.article.owner else "",
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "negative_share": round(self.negative_share, 3),
            "not_solved_in_assistant": self.not_solved,
            "comments": " | ".join(self.comments[:5]),
        }


def negative_feedback(period: Period) -> list[ArticleHealth]:
    """Articles readers said did not help (at least twice, and 40 % of answers),
    with the assistant's "it did not solve it" beside them."""
    feedback = Feedback.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
    rows = (
        feedback.values("translation")
        .order_by()
        .annotate(yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False)))
    )
    counts = {r["translation"]: (r["yes"], r["no"]) for r in rows}
    translations = ArticleTranslation.objects.filter(
        pk__in=feedback.values("translation")
    ).select_related("article__owner")
    comments: dict[int, list[str]] = defaultdict(list)
    for translation_id, comment in (
        feedback.filter(helpful=False)
        .exclude(comment="")
        .order_by("-created_at")
        .values_list("translation", "comment")
    ):
        comments[translation_id].append(comment)
    not_solved: dict[int, int] = defaultdict(int)
    for data in JourneyEvent.objects.filter(
        kind=EventKind.SELFCARE_NOT_RESOLVED,
        occurred_at__gte=period.since,
        occurred_at__lt=period.until,
    ).values_list("data", flat=True):
        if isinstance(data.get("article"), int):
            not_solved[data["article"]] += 1
    health = []
    for translation in translations:
        yes, no = counts[translation.pk]
        item = ArticleHealth(
            article=translation.article,
            title=translation.title,
            language=translation.language,
            helpful=yes,
            not_helpful=no,
            not_solved=not_solved.get(translation.article_id, 0),
            comments=comments.get(translation.pk, []),
        )
        if item.not_helpful >= NEGATIVE_MIN and item.negative_share >= NEGATIVE_SHARE:
            health.append(item)
    return sorted(health, key=lambda h: (-h.not_helpful, -h.negative_share, h.title))


def overdue_reviews(today: date | None = None) -> list[Article]:
    today = today or timezone.localdate()
    return list(
        Article.objects.filter(review_due__lt=today)
        .select_related("owner", "category")
        .prefetch_related("translations")
        .order_by("review_due", "key")
    )
